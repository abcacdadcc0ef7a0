// The CPU fuser's kernel support code (src/executors/fuser/prelude/) compiled as headers and checked
// against the C++ library, for one x86 target. CMake builds this file once per target (no -march,
// x86-64-v3 with AVX2, x86-64-v4 with AVX-512: the three code paths the headers hold); each build
// runs where the CPU has that target's instructions and reports "skipped" (exit 77) elsewhere.
// Plain executables rather than GoogleTest: inline functions compiled for AVX-512 must not end up
// shared with code that runs on any CPU.
#include <cstdio>
#include <random>
#include <vector>

#include "executors/fuser/prelude/cpu.h"
#include "executors/fuser/prelude/cpu_vector.h"

namespace {

int failures = 0;

void fail(const char* what, double x, double got, double want) {
  if (++failures <= 20) std::printf("FAIL %s: at %.9g got %.9g, want %.9g\n", what, x, got, want);
}

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Distance in units in the last place between two finite floats of the same sign or zero.
int64_t ulps(float a, float b) {
  auto ordered = [](float f) {
    int32_t i;
    std::memcpy(&i, &f, 4);
    return i < 0 ? -static_cast<int64_t>(i & 0x7fffffff) : static_cast<int64_t>(i);
  };
  const int64_t d = ordered(a) - ordered(b);
  return d < 0 ? -d : d;
}

bool same_value(float got, float want, int64_t max_ulps) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want) || std::isinf(got)) return got == want;
  return ulps(got, want) <= max_ulps;
}

std::vector<float> exp_inputs() {
  std::vector<float> x;
  for (float v = -110.0f; v < 90.0f; v += 0.0137f) x.push_back(v);
  for (float v : {0.0f, -0.0f, 88.72f, 88.73f, -87.3f, -103.9f, -104.0f, -104.5f, -1e30f, 1e30f, INFINITY, -INFINITY, NAN, 1e-30f})
    x.push_back(v);
  while (x.size() % KR_VW != 0) x.push_back(1.0f);
  return x;
}

// exp within an ulp of the correctly rounded value (two ulps among the denormals, which the
// two-factor scaling rounds twice); 0 below -104; NaN stays NaN.
void check_exp() {
  const std::vector<float> x = exp_inputs();
  for (size_t i = 0; i < x.size(); i += KR_VW) {
    kr_vf v;
    for (int l = 0; l < KR_VW; ++l) v[l] = x[i + static_cast<size_t>(l)];
    const kr_vf ev = kr_exp(v);
    for (int l = 0; l < KR_VW; ++l) {
      const float xi = x[i + static_cast<size_t>(l)];
      const float want = static_cast<float>(std::exp(static_cast<double>(xi)));
      const int64_t tol = std::fabs(want) < 1.1754944e-38f ? 2 : 1;
      const float s = kr_exp(xi);
      if (!same_value(s, want, tol)) fail("kr_exp(float)", xi, s, want);
      if (!same_value(ev[l], want, tol)) fail("kr_exp(kr_vf)", xi, ev[l], want);
    }
  }
}

// The bfloat16 nearest to f, ties to even; NaN stays NaN.
uint16_t bf16_reference(float f) {
  if (std::isnan(f)) return 0x7fc0;
  const uint32_t lo = bits(f) & 0xffff0000u;
  const uint32_t rest = bits(f) & 0xffffu;
  if (rest < 0x8000u || (rest == 0x8000u && ((lo >> 16) & 1u) == 0)) return static_cast<uint16_t>(lo >> 16);
  return static_cast<uint16_t>((lo >> 16) + 1);
}

std::vector<float> conversion_inputs() {
  std::mt19937 g(1234);
  std::vector<float> x;
  std::uniform_int_distribution<uint32_t> any;
  for (int i = 0; i < 4096; ++i) {
    const uint32_t u = any(g);
    float f;
    std::memcpy(&f, &u, 4);
    x.push_back(f);
  }
  std::normal_distribution<float> n(0.0f, 100.0f);
  for (int i = 0; i < 4096; ++i) x.push_back(n(g));
  for (uint32_t u : {0x3f808000u, 0x3f818000u, 0x7f7fffffu, 0x00000001u, 0x80000001u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0x7f800001u})
    x.push_back([&] {
      float f;
      std::memcpy(&f, &u, 4);
      return f;
    }());
  for (float v : {65504.0f, 65520.0f, -65536.0f, 6e-8f, 3e-8f, 0.1f, -0.0f}) x.push_back(v);
  while (x.size() % KR_VW != 0) x.push_back(0.0f);
  return x;
}

void check_bf16_and_f16() {
  const std::vector<float> x = conversion_inputs();
  std::vector<uint16_t> vb(x.size()), vh(x.size());
  for (size_t i = 0; i < x.size(); i += KR_VW) {
    kr_vf v;
    for (int l = 0; l < KR_VW; ++l) v[l] = x[i + static_cast<size_t>(l)];
    kr_st_bf16(vb.data() + i, v);
    kr_st_f16(vh.data() + i, v);
  }
  for (size_t i = 0; i < x.size(); ++i) {
    const uint16_t want = bf16_reference(x[i]);
    const uint16_t s = kr_f_to_bf16(x[i]);
    const bool nan = std::isnan(x[i]);
    if (nan ? !std::isnan(kr_bf16_to_f(s)) : s != want) fail("kr_f_to_bf16", x[i], kr_bf16_to_f(s), kr_bf16_to_f(want));
    if (nan ? !std::isnan(kr_bf16_to_f(vb[i])) : vb[i] != want) fail("kr_st_bf16", x[i], kr_bf16_to_f(vb[i]), kr_bf16_to_f(want));
    if (!nan && kr_round_bf16(x[i]) != kr_bf16_to_f(want)) fail("kr_round_bf16", x[i], kr_round_bf16(x[i]), kr_bf16_to_f(want));
    const uint16_t h = kr_f_to_f16(x[i]);  // _Float16's conversion: the reference for the vector path
    if (nan ? !std::isnan(kr_f16_to_f(vh[i])) : vh[i] != h) fail("kr_st_f16", x[i], kr_f16_to_f(vh[i]), kr_f16_to_f(h));
  }
  // Loads: every bit pattern widens as the scalar function does.
  std::vector<uint16_t> all(65536);
  for (uint32_t k = 0; k < 65536; ++k) all[k] = static_cast<uint16_t>(k);
  for (size_t i = 0; i < all.size(); i += KR_VW) {
    const kr_vf b = kr_ld_bf16<kr_vf>(all.data() + i), h = kr_ld_f16<kr_vf>(all.data() + i);
    for (int l = 0; l < KR_VW; ++l) {
      const uint16_t k = all[i + static_cast<size_t>(l)];
      if (bits(b[l]) != bits(kr_bf16_to_f(k))) fail("kr_ld_bf16", k, b[l], kr_bf16_to_f(k));
      const float hs = kr_f16_to_f(k);
      if (std::isnan(hs) ? !std::isnan(h[l]) : bits(h[l]) != bits(hs)) fail("kr_ld_f16", k, h[l], hs);
    }
  }
}

void check_lanes() {
  std::mt19937 g(99);
  std::uniform_real_distribution<float> u(-10.0f, 10.0f);
  bool mask[KR_VW];
  float in[KR_VW];
  for (int l = 0; l < KR_VW; ++l) {
    mask[l] = (g() & 1) != 0;
    in[l] = u(g);
  }
  const auto m = kr_ld_mask<kr_vf>(mask);
  const kr_vf v = kr_ld<kr_vf>(in), a = kr_abs(v), s = kr_sqrt(kr_abs(v));
  float sum = 0, mx = in[0], mn = in[0];
  for (int l = 0; l < KR_VW; ++l) {
    if ((m[l] != 0) != mask[l]) fail("kr_ld_mask", l, m[l], mask[l]);
    if (a[l] != std::fabs(in[l])) fail("kr_abs", in[l], a[l], std::fabs(in[l]));
    if (s[l] != std::sqrt(std::fabs(in[l]))) fail("kr_sqrt", in[l], s[l], std::sqrt(std::fabs(in[l])));
    sum += in[l];
    mx = in[l] > mx ? in[l] : mx;
    mn = in[l] < mn ? in[l] : mn;
  }
  if (kr_hsum(v) != sum) fail("kr_hsum", 0, kr_hsum(v), sum);
  if (kr_hmax(v) != mx) fail("kr_hmax", 0, kr_hmax(v), mx);
  if (kr_hmin(v) != mn) fail("kr_hmin", 0, kr_hmin(v), mn);
}

}  // namespace

int main() {
#ifdef KR_CHECK_TARGET  // the -march this file was built for
  const char* target = KR_CHECK_TARGET;
  if (!__builtin_cpu_supports(KR_CHECK_TARGET)) {
    std::printf("skipped: this CPU lacks %s\n", target);
    return 77;
  }
#else
  const char* target = "";
#endif
  check_exp();
  check_bf16_and_f16();
  check_lanes();
  std::printf("%s: %d failure(s), %d lanes\n", target[0] ? target : "no -march", failures, static_cast<int>(KR_VW));
  return failures == 0 ? 0 : 1;
}
