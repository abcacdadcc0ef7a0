// Explicit vector support for row and pointwise loops (after cpu.h; embedded like it, and added to a
// kernel only where it uses vectors).
// -- explicit vectors for row loops: one body instantiated for kr_vf (16 lanes) and for float ---------
// GCC vector types lower to whatever the target has; AVX-512 gets the instructions the
// auto-vectorizer does not produce (vscalefps in exp, vcvtneps2bf16, a one-step bf16 widening), and
// AVX2 one-step widening loads (GCC scalarizes __builtin_convertvector from 8 or 16 to 32 bits).
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif
#include <unistd.h>
#include <cstdio>
// 16 lanes where a register holds them (AVX-512), else 8: wider GCC vectors than the registers go
// through memory between calls (measured 15x slower on AVX2).
#if defined(__AVX512F__)
enum { KR_VW = 16 };
#else
enum { KR_VW = 8 };
#endif
typedef float kr_vf __attribute__((vector_size(4 * KR_VW)));
typedef int32_t kr_vi __attribute__((vector_size(4 * KR_VW)));
typedef uint16_t kr_vh __attribute__((vector_size(2 * KR_VW)));
template <class F>
static inline F kr_ld(const float* p);
template <>
inline float kr_ld<float>(const float* p) {
  return *p;
}
template <>
inline kr_vf kr_ld<kr_vf>(const float* p) {
  kr_vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class F>
static inline F kr_ld_bf16(const uint16_t* p);
template <>
inline float kr_ld_bf16<float>(const uint16_t* p) {
  return kr_bf16_to_f(*p);
}
template <>
inline kr_vf kr_ld_bf16<kr_vf>(const uint16_t* p) {
#if defined(__AVX512F__)
  return (kr_vf)_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i*)p)), 16);
#elif defined(__AVX2__)
  return (kr_vf)_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i*)p)), 16);
#else
  kr_vh h;
  std::memcpy(&h, p, sizeof h);
  kr_vi i = __builtin_convertvector(h, kr_vi) << 16;
  kr_vf f;
  std::memcpy(&f, &i, sizeof f);
  return f;
#endif
}
template <class F>
static inline F kr_ld_f16(const uint16_t* p);
template <>
inline float kr_ld_f16<float>(const uint16_t* p) {
  return kr_f16_to_f(*p);
}
template <>
inline kr_vf kr_ld_f16<kr_vf>(const uint16_t* p) {
#if defined(__AVX512F__)
  return (kr_vf)_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)p));
#elif defined(__AVX2__) && defined(__F16C__)
  return (kr_vf)_mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)p));
#else
  kr_vf f;
  for (int l = 0; l < KR_VW; ++l) f[l] = kr_f16_to_f(p[l]);
  return f;
#endif
}
// A bool tensor's lanes as a mask (a comparison's result type: bool, or int32 lanes of -1/0).
template <class F>
static inline auto kr_ld_mask(const bool* p);
template <>
inline auto kr_ld_mask<float>(const bool* p) {
  return *p;
}
template <>
inline auto kr_ld_mask<kr_vf>(const bool* p) {
#if defined(__AVX512F__)  // GCC scalarizes __builtin_convertvector from 8 to 32 bits
  const kr_vi v = (kr_vi)_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)p));
#elif defined(__AVX2__)
  const kr_vi v = (kr_vi)_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)p));
#else
  kr_vi v;
  for (int l = 0; l < KR_VW; ++l) v[l] = p[l];
#endif
  return v != 0;
}
static inline void kr_st(float* p, float v) { *p = v; }
static inline void kr_st(float* p, kr_vf v) { std::memcpy(p, &v, sizeof v); }
static inline void kr_st_bf16(uint16_t* p, float v) { *p = kr_f_to_bf16(v); }
static inline void kr_st_bf16(uint16_t* p, kr_vf v) {
#if defined(__AVX512BF16__)
  _mm256_storeu_si256((__m256i*)p, (__m256i)_mm512_cvtneps_pbh((__m512)v));  // round to nearest even, NaN stays NaN
#else
  for (int l = 0; l < KR_VW; ++l) p[l] = kr_f_to_bf16(v[l]);
#endif
}
static inline void kr_st_f16(uint16_t* p, float v) { *p = kr_f_to_f16(v); }
static inline void kr_st_f16(uint16_t* p, kr_vf v) {
#if defined(__AVX512F__)
  _mm256_storeu_si256((__m256i*)p, _mm512_cvtps_ph((__m512)v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#else
  for (int l = 0; l < KR_VW; ++l) p[l] = kr_f_to_f16(v[l]);
#endif
}
// Stores that bypass the caches (non-temporal) when `nt`: for outputs larger than the last-level cache,
// whose lines would otherwise be read from memory before being overwritten. Vector stores only, at
// 64-byte (float) or 32-byte (16-bit) aligned addresses; the caller checks. kr_sfence orders them.
static inline void kr_st_nt(float* p, float v, bool) { *p = v; }
static inline void kr_st_nt(float* p, kr_vf v, bool nt) {
#if defined(__AVX512F__)
  if (nt) {
    _mm512_stream_ps(p, (__m512)v);
    return;
  }
#endif
  kr_st(p, v);
}
static inline void kr_st_bf16_nt(uint16_t* p, float v, bool) { kr_st_bf16(p, v); }
static inline void kr_st_bf16_nt(uint16_t* p, kr_vf v, bool nt) {
#if defined(__AVX512BF16__)
  if (nt) {
    _mm256_stream_si256((__m256i*)p, (__m256i)_mm512_cvtneps_pbh((__m512)v));
    return;
  }
#endif
  kr_st_bf16(p, v);
}
static inline void kr_st_f16_nt(uint16_t* p, float v, bool) { kr_st_f16(p, v); }
static inline void kr_st_f16_nt(uint16_t* p, kr_vf v, bool nt) {
#if defined(__AVX512F__)
  if (nt) {
    _mm256_stream_si256((__m256i*)p, _mm512_cvtps_ph((__m512)v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    return;
  }
#endif
  kr_st_f16(p, v);
}
static inline void kr_sfence() {
#if defined(__AVX512F__)
  _mm_sfence();
#endif
}
// The output size from which stores are non-temporal: $KERAUNOS_NT_MIN_BYTES (read each call), else
// half the last-level cache this CPU shares (read once). sysfs gives the cache the CPU sits in (a
// VM's 32 MiB of one CCD); sysconf, the fallback, can report a whole socket's L3.
static inline int64_t kr_nt_min_bytes() {
  if (const char* e = std::getenv("KERAUNOS_NT_MIN_BYTES")) return (int64_t)std::atoll(e);
  static const int64_t b = [] {
    long v = 0;
    static const char* const files[] = {"/sys/devices/system/cpu/cpu0/cache/index3/size", "/sys/devices/system/cpu/cpu0/cache/index2/size"};
    for (const char* f : files) {
      if (FILE* fp = std::fopen(f, "r")) {
        char unit = 0;
        if (std::fscanf(fp, "%ld%c", &v, &unit) >= 1) v *= unit == 'K' ? 1024L : unit == 'M' ? 1048576L : 1L;
        std::fclose(fp);
        if (v > 0) break;
      }
    }
    if (v <= 0) v = sysconf(_SC_LEVEL3_CACHE_SIZE);
    return (int64_t)(v > 0 ? v : 32L << 20) / 2;
  }();
  return b;
}
static inline kr_vf kr_round_bf16(kr_vf v) {
  uint16_t h[KR_VW];
  kr_st_bf16(h, v);
  return kr_ld_bf16<kr_vf>(h);
}
static inline kr_vf kr_round_f16(kr_vf v) {
  uint16_t h[KR_VW];
  kr_st_f16(h, v);
  return kr_ld_f16<kr_vf>(h);
}
static inline float kr_sqrt(float x) { return std::sqrt(x); }
static inline kr_vf kr_sqrt(kr_vf x) {
#if defined(__AVX512F__)
  return (kr_vf)_mm512_sqrt_ps((__m512)x);
#else
  for (int l = 0; l < KR_VW; ++l) x[l] = std::sqrt(x[l]);
  return x;
#endif
}
static inline float kr_abs(float x) { return std::fabs(x); }
static inline kr_vf kr_abs(kr_vf x) {
  kr_vi i;
  std::memcpy(&i, &x, sizeof i);
  i &= 0x7fffffff;
  std::memcpy(&x, &i, sizeof x);
  return x;
}
// exp on 16 lanes: the same reduction and polynomial as kr_exp(float); 2^n by vscalefps (exact
// scaling into the denormals) on AVX-512, by two exponent-field factors elsewhere.
static inline kr_vf kr_exp(kr_vf x) {
  // Lanes below -104 come out 0 by a mask, as in kr_exp(float).
#if defined(__AVX512F__)  // vminps returns the second operand when either is NaN: NaN passes
  const __mmask16 keep = _mm512_cmp_ps_mask((__m512)x, _mm512_set1_ps(-104.0f), _CMP_NLT_UQ);
  x = (kr_vf)_mm512_maskz_min_ps(keep, _mm512_set1_ps(89.0f), (__m512)x);
#else
  const kr_vi zero = x < -104.0f;
  x = zero ? 0.0f : x;
  x = x > 89.0f ? 89.0f : x;
#endif
  const kr_vf n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  kr_vf r = x - n * 0.693145751953125f;
  r = r - n * 1.428606765330187045e-06f;
  kr_vf p = r * 0.001381461275741458f + 0.008368710055947304f;
  p = p * r + 0.04166838899254799f;
  p = p * r + 0.1666652113199234f;
  p = p * r + 0.4999999403953552f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
#if defined(__AVX512F__)
  return (kr_vf)_mm512_maskz_scalef_ps(keep, (__m512)p, (__m512)n);
#else
  const kr_vi ni = __builtin_convertvector(n, kr_vi), n1 = ni >> 1, n2 = ni - n1;
  const kr_vi b1 = (n1 + 127) << 23, b2 = (n2 + 127) << 23;
  kr_vf f1, f2;
  std::memcpy(&f1, &b1, sizeof f1);
  std::memcpy(&f2, &b2, sizeof f2);
  return zero ? kr_vf{} : p * f1 * f2;
#endif
}
// Prefetch what lies `row` elements past p into L1, for each vector (narrow types fetch a line more
// than once: cheaper than a test); nothing for the scalar tail.
template <class F, class T>
static inline void kr_pf(const T* p, int64_t row) {
  if constexpr (sizeof(F) > sizeof(float)) __builtin_prefetch((const void*)((uintptr_t)p + (uintptr_t)row * sizeof *p), 0, 3);
}
static inline float kr_hsum(kr_vf v) {
  float s = 0;
  for (int l = 0; l < KR_VW; ++l) s += v[l];
  return s;
}
static inline float kr_hmax(kr_vf v) {
  float s = v[0];
  for (int l = 1; l < KR_VW; ++l) s = v[l] > s ? v[l] : s;
  return s;
}
static inline float kr_hmin(kr_vf v) {
  float s = v[0];
  for (int l = 1; l < KR_VW; ++l) s = v[l] < s ? v[l] : s;
  return s;
}
static inline int kr_hor(kr_vi v) {
  int s = 0;
  for (int l = 0; l < KR_VW; ++l) s |= v[l];
  return s;
}
// libm functions on lanes: glibc's vector variants (libmvec) called by their vector-ABI names, 16
// lanes on AVX-512, 8 on AVX2, lane by lane elsewhere; libm's for the tail.
#if defined(__AVX512F__)
#define KR_VMATH(name)                                          \
  extern "C" __m512 _ZGVeN16v_##name##f(__m512);                \
  static inline float kr_##name(float x) { return name##f(x); } \
  static inline kr_vf kr_##name(kr_vf x) { return (kr_vf)_ZGVeN16v_##name##f((__m512)x); }
#elif defined(__AVX2__)
#define KR_VMATH(name)                                          \
  extern "C" __m256 _ZGVdN8v_##name##f(__m256);                 \
  static inline float kr_##name(float x) { return name##f(x); } \
  static inline kr_vf kr_##name(kr_vf x) { return (kr_vf)_ZGVdN8v_##name##f((__m256)x); }
#else
#define KR_VMATH(name)                                          \
  static inline float kr_##name(float x) { return name##f(x); } \
  static inline kr_vf kr_##name(kr_vf x) {                      \
    for (int l = 0; l < KR_VW; ++l) x[l] = name##f(x[l]);       \
    return x;                                                   \
  }
#endif
