// The fuser's region IR, scheduler and C++ generator without ATen: generated kernels compiled with
// the host compiler and run on plain buffers against scalar references.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>

#include "executors/fuser/fusion.h"
#include "fuser_test_util.h"
#include "jit/host_compiler.h"
#include "test_util.h"

namespace keraunos {
namespace {

using KernelFn = void (*)(char**, const int64_t*, const int64_t*, const double*);
using testing::as_region;

struct Compiled {
  fuser::Fusion region;
  fuser::Schedule schedule;
  KernelFn fn;
};

struct Generated {
  fuser::Fusion region;
  fuser::Schedule schedule;
  std::string source;
};

Generated generate(const std::string& text, fuser::ContiguityMask contig = ~0ULL) {
  Trace t = testing::parse(text);
  auto built = fuser::build_fusion(t, as_region(t));
  EXPECT_TRUE(built.ok) << built.ok.reason;
  auto sched = fuser::schedule_fusion(built.fusion);
  EXPECT_TRUE(sched.ok) << sched.ok.reason;
  std::string src = fuser::generate_cpp(built.fusion, sched.schedule, contig);
  return {built.fusion, sched.schedule, src};
}

std::string source_of(const std::string& text) { return generate(text).source; }

// softmax over the rows of x: f32[rows, cols] as prims, returning `returns` (t6 is the result, t0
// the rows' max).
std::string softmax_text(int rows, int cols, const std::string& returns) {
  return str("def f(x: \"cpu f32[", rows, ", ", cols, "]\"):\n", "  t0 = prims.amax(x, (1,))  # t0: \"cpu f32[", rows, "]\"\n",
             "  t1 = prims.broadcast_in_dim(t0, (", rows, ", ", cols, "), (0,))  # t1: \"cpu f32[", rows, ", ", cols, "]\"\n",
             "  t2 = prims.sub(x, t1)  # t2: \"cpu f32[", rows, ", ", cols, "]\"\n", "  t3 = prims.exp(t2)  # t3: \"cpu f32[", rows, ", ",
             cols, "]\"\n", "  t4 = prims.sum(t3, (1,))  # t4: \"cpu f32[", rows, "]\"\n", "  t5 = prims.broadcast_in_dim(t4, (", rows,
             ", ", cols, "), (0,))  # t5: \"cpu f32[", rows, ", ", cols, "]\"\n", "  t6 = prims.div(t3, t5)  # t6: \"cpu f32[", rows, ", ",
             cols, "]\"\n", "  return (", returns, ")\n");
}

Compiled compile(const std::string& text, fuser::ContiguityMask contig = ~0ULL) {
  setenv("KERAUNOS_CACHE_DIR", (std::string(::testing::TempDir()) + "/keraunos-codegen-test").c_str(), 1);
  Generated g = generate(text, contig);
  auto mod = jit_compiler::compile_and_load(g.source, "keraunos_kernel");
  return {g.region, g.schedule, reinterpret_cast<KernelFn>(mod.symbol)};
}

// Runs a compiled kernel on buffers (inputs, then outputs) with the region's sizes and the given
// input strides; the status word goes after the outputs. Returns the status.
int64_t run(const Compiled& k, std::vector<void*> buffers, std::vector<int64_t> strides) {
  int64_t status = 0;
  std::vector<char*> P;
  for (void* b : buffers) P.push_back(static_cast<char*>(b));
  P.push_back(reinterpret_cast<char*>(&status));
  std::vector<int64_t> S;
  for (const Dim& d : k.region.sizes) S.push_back(d.size);
  k.fn(P.data(), S.data(), strides.data(), nullptr);
  return status;
}

std::vector<float> randn(size_t n, unsigned seed) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

TEST(FuserCodegen, PointwiseWithBroadcast) {
  auto k = compile(R"(def f(x: "cpu f32[4, 8]", b: "cpu f32[8]"):
  t0 = prims.broadcast_in_dim(b, (4, 8), (1,))  # t0: "cpu f32[4, 8]"
  t1 = prims.add(x, t0)  # t1: "cpu f32[4, 8]"
  t2 = prims.mul(t1, 2.0)  # t2: "cpu f32[4, 8]"
  t3 = prims.exp(t2)  # t3: "cpu f32[4, 8]"
  return (t3,)
)");
  EXPECT_EQ(k.schedule.kind, fuser::Schedule::Kind::Pointwise);
  auto x = randn(32, 1), b = randn(8, 2);
  std::vector<float> out(32);
  run(k, {x.data(), b.data(), out.data()}, {8, 1, 1});
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 8; ++j)
      EXPECT_NEAR(out[i * 8 + j], std::exp((x[i * 8 + j] + b[j]) * 2.0f), 1e-5f * std::exp((x[i * 8 + j] + b[j]) * 2.0f));
}

TEST(FuserCodegen, PointwiseFloatLoopsRunOnVectorLanes) {
  // A float chain with a clamp, a broadcast row and maximum: a generic lambda on 16-lane vectors
  // plus a float tail (37 = 2 * 16 + 5 per row). NaN passes through the clamp's one-vmaxps form and
  // through maximum in either operand.
  const std::string text = R"(def f(x: "cpu f32[3, 37]", b: "cpu f32[37]"):
  t0 = prims.broadcast_in_dim(b, (3, 37), (1,))  # t0: "cpu f32[3, 37]"
  t1 = prims.mul(x, 1.5)  # t1: "cpu f32[3, 37]"
  t2 = prims.maximum(t1, -1.0)  # t2: "cpu f32[3, 37]"
  t3 = prims.minimum(t2, 1.0)  # t3: "cpu f32[3, 37]"
  t4 = prims.maximum(t3, t0)  # t4: "cpu f32[3, 37]"
  return (t4,)
)";
  std::string src = source_of(text);
  src = src.substr(src.find("void keraunos_kernel"));
  EXPECT_NE(src.find("kr_pw(kr_vf{}, j)"), std::string::npos) << src;
  EXPECT_EQ(src.find("#pragma omp simd"), std::string::npos) << src;
  auto k = compile(text);
  auto x = randn(3 * 37, 6), b = randn(37, 7);
  x[4] = NAN;   // lane 4 of the first vector
  x[36] = NAN;  // in the tail
  b[20] = NAN;  // maximum's other operand
  std::vector<float> out(3 * 37);
  run(k, {x.data(), b.data(), out.data()}, {37, 1, 1});
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 37; ++j) {
      const float v = x[i * 37 + j] * 1.5f, w = b[j];
      const float want = std::isnan(v) || std::isnan(w) ? NAN : std::max(std::min(std::max(v, -1.0f), 1.0f), w);
      if (std::isnan(want))
        EXPECT_TRUE(std::isnan(out[i * 37 + j])) << i << "," << j;
      else
        EXPECT_EQ(out[i * 37 + j], want) << i << "," << j;
    }
  // Integers and strided inputs keep the auto-vectorized loop.
  EXPECT_NE(source_of(R"(def f(x: "cpu i32[3, 37]"):
  t0 = prims.add(x, 1)  # t0: "cpu i32[3, 37]"
  return (t0,)
)")
                .find("#pragma omp simd"),
            std::string::npos);
}

TEST(FuserCodegen, LibmFunctionsOnVectorLanes) {
  // tanh and erf in a generic body call libmvec's vector variants on lanes and libm on the tail
  // (101 = 6 * 16 + 5); glibc documents at most 4 ulps for both.
  const std::string text = R"(def f(x: "cpu f32[101]"):
  t0 = prims.tanh(x)  # t0: "cpu f32[101]"
  t1 = prims.erf(x)  # t1: "cpu f32[101]"
  return (t0, t1)
)";
  std::string src = source_of(text);
  src = src.substr(src.find("void keraunos_kernel"));
  EXPECT_NE(src.find("kr_tanh("), std::string::npos) << src;
  EXPECT_NE(src.find("kr_pw(kr_vf{}, j)"), std::string::npos) << src;
  auto k = compile(text);
  auto x = randn(101, 8);
  x[3] = NAN;
  x[100] = INFINITY;
  std::vector<float> th(101), er(101);
  run(k, {x.data(), th.data(), er.data()}, {1});
  for (int i = 0; i < 101; ++i) {
    const float wt = std::tanh(x[i]), we = std::erf(x[i]);
    if (std::isnan(x[i])) {
      EXPECT_TRUE(std::isnan(th[i]) && std::isnan(er[i]));
      continue;
    }
    EXPECT_LE(std::fabs(th[i] - wt), 4 * (std::nextafter(std::fabs(wt), INFINITY) - std::fabs(wt))) << "tanh(" << x[i] << ")";
    EXPECT_LE(std::fabs(er[i] - we), 4 * (std::nextafter(std::fabs(we), INFINITY) - std::fabs(we))) << "erf(" << x[i] << ")";
  }
}

TEST(FuserCodegen, LargeOutputsUseNonTemporalStores) {
  // Outputs of at least $KERAUNOS_NT_MIN_BYTES (default: half the last-level cache) are written with
  // non-temporal stores when every vector store is aligned, then fenced. Forced on here for a small
  // softmax (rows of 48 = 3 * 16: aligned) and checked against the cached path's results.
  const std::string text = softmax_text(5, 48, "t6,");
  std::string src = source_of(text);
  EXPECT_NE(src.find("kr_st_nt(out0"), std::string::npos) << src;
  EXPECT_NE(src.find("if (kr_nt) kr_sfence();"), std::string::npos) << src;
  auto k = compile(text);
  auto x = randn(5 * 48, 10);
  alignas(64) float cached[5 * 48], streamed[5 * 48];
  run(k, {x.data(), cached}, {48, 1});
  setenv("KERAUNOS_NT_MIN_BYTES", "0", 1);
  run(k, {x.data(), streamed}, {48, 1});
  unsetenv("KERAUNOS_NT_MIN_BYTES");
  for (int i = 0; i < 5 * 48; ++i) EXPECT_EQ(streamed[i], cached[i]) << i;
}

TEST(FuserCodegen, MasksAndWhereOnVectorLanes) {
  // A bool tensor, a comparison, a logical op and where in a generic body: masks are `M` (bool on
  // the tail, int lanes of -1/0 on vectors); 37 = 2 * 16 + 5.
  const std::string text = R"(def f(x: "cpu f32[37]", m: "cpu b8[37]"):
  t0 = prims.gt(x, 0.5)  # t0: "cpu b8[37]"
  t1 = prims.logical_not(m)  # t1: "cpu b8[37]"
  t2 = prims.logical_and(t0, t1)  # t2: "cpu b8[37]"
  t3 = prims.where(t2, x, -1.0)  # t3: "cpu f32[37]"
  return (t3,)
)";
  std::string src = source_of(text);
  src = src.substr(src.find("void keraunos_kernel"));
  EXPECT_NE(src.find("kr_ld_mask<F>(in1"), std::string::npos) << src;
  EXPECT_NE(src.find("kr_pw(kr_vf{}, j)"), std::string::npos) << src;
  auto k = compile(text);
  auto x = randn(37, 11);
  bool m[37];
  for (int i = 0; i < 37; ++i) m[i] = i % 3 == 0;
  std::vector<float> out(37);
  run(k, {x.data(), m, out.data()}, {1, 1});
  for (int i = 0; i < 37; ++i) EXPECT_EQ(out[i], (x[i] > 0.5f && !m[i]) ? x[i] : -1.0f) << i;
}

TEST(FuserCodegen, StridedVariantReadsThroughStrides) {
  // x is a transposed view: logical [3, 5], strides (1, 3).
  auto k = compile(R"(def f(x: "cpu f32[3, 5]"):
  t0 = prims.neg(x)  # t0: "cpu f32[3, 5]"
  return (t0,)
)",
                   0);
  auto base = randn(15, 3);  // storage of a [5, 3] tensor
  std::vector<float> out(15);
  run(k, {base.data(), out.data()}, {1, 3});
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 5; ++j) EXPECT_EQ(out[i * 5 + j], -base[j * 3 + i]);
}

TEST(FuserCodegen, SoftmaxIsInnerPersistent) {
  auto k = compile(softmax_text(6, 33, "t6, t0"));
  EXPECT_EQ(k.schedule.kind, fuser::Schedule::Kind::InnerPersistent);
  EXPECT_NE(k.schedule.str().find("inner_persistent"), std::string::npos);
  auto x = randn(6 * 33, 4);
  x[5] = NAN;  // a NaN in row 0 propagates through amax
  std::vector<float> out(6 * 33), mx(6);
  run(k, {x.data(), out.data(), mx.data()}, {33, 1});
  EXPECT_TRUE(std::isnan(mx[0]));
  for (int r = 1; r < 6; ++r) {
    float m = -INFINITY, s = 0;
    for (int c = 0; c < 33; ++c) m = std::max(m, x[r * 33 + c]);
    for (int c = 0; c < 33; ++c) s += std::exp(x[r * 33 + c] - m);
    EXPECT_EQ(mx[r], m);
    for (int c = 0; c < 33; ++c) EXPECT_NEAR(out[r * 33 + c], std::exp(x[r * 33 + c] - m) / s, 1e-6f);
  }
}

TEST(FuserCodegen, VarMeanAndLeadingDimReduction) {
  auto k = compile(R"(def f(x: "cpu f32[7, 10]"):
  t0, t1 = prims.var_mean(x, (1,), correction=0)  # t0: "cpu f32[7]", t1: "cpu f32[7]"
  return (t0, t1)
)");
  auto x = randn(70, 5);
  std::vector<float> var(7), mean(7);
  run(k, {x.data(), var.data(), mean.data()}, {10, 1});
  for (int r = 0; r < 7; ++r) {
    double m = 0, v = 0;
    for (int c = 0; c < 10; ++c) m += x[r * 10 + c];
    m /= 10;
    for (int c = 0; c < 10; ++c) v += (x[r * 10 + c] - m) * (x[r * 10 + c] - m);
    EXPECT_NEAR(mean[r], m, 1e-5);
    EXPECT_NEAR(var[r], v / 10, 1e-5);
  }
  auto k2 = compile(R"(def f(x: "cpu f32[9, 4]"):
  t0 = prims.sum(x, (0,))  # t0: "cpu f32[4]"
  return (t0,)
)");
  EXPECT_EQ(k2.schedule.kind, fuser::Schedule::Kind::OuterReduction);
  EXPECT_NE(source_of(R"(def f(x: "cpu f32[9, 4]"):
  t0 = prims.sum(x, (0,))  # t0: "cpu f32[4]"
  return (t0,)
)")
                .find("qb += 256"),
            std::string::npos);  // float blocks of rows, merged into double
  auto y = randn(36, 6);
  std::vector<float> col(4);
  run(k2, {y.data(), col.data()}, {4, 1});
  for (int c = 0; c < 4; ++c) {
    float s = 0;
    for (int r = 0; r < 9; ++r) s += y[r * 4 + c];
    EXPECT_NEAR(col[c], s, 1e-5);
  }
  // var_mean over the leading dim: Welford in float blocks of 256 rows, shifted, merged in double.
  // 600 rows of mean 1000: one thread's rows span three blocks, the last one short.
  const std::string welford = R"(def f(x: "cpu f32[600, 20]"):
  t0, t1 = prims.var_mean(x, (0,), correction=1)  # t0: "cpu f32[20]", t1: "cpu f32[20]"
  return (t0, t1)
)";
  EXPECT_NE(source_of(welford).find("qb += 256"), std::string::npos);
  auto k3 = compile(welford);
  auto z = randn(600 * 20, 9);
  for (auto& v : z) v = 1000.0f + v;
  std::vector<float> wvar(20), wmean(20);
  run(k3, {z.data(), wvar.data(), wmean.data()}, {20, 1});
  for (int c = 0; c < 20; ++c) {
    double m = 0, v = 0;
    for (int r = 0; r < 600; ++r) m += z[r * 20 + c];
    m /= 600;
    for (int r = 0; r < 600; ++r) v += (z[r * 20 + c] - m) * (z[r * 20 + c] - m);
    EXPECT_NEAR(wmean[c], m, 1e-4);
    EXPECT_NEAR(wvar[c], v / 599, 1e-5 * v / 599);
  }
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

// Checks exp's results against libm's in double: within an ulp, exact at the specials.
void expect_exp_within_an_ulp(const std::vector<float>& x, const std::vector<float>& out, const char* where) {
  for (size_t i = 0; i < x.size(); ++i) {
    double want = std::exp(static_cast<double>(x[i]));
    float wf = static_cast<float>(want);
    if (std::isnan(x[i])) {
      EXPECT_TRUE(std::isnan(out[i])) << where;
    } else if (std::isinf(wf)) {
      EXPECT_EQ(out[i], wf) << where << ": exp(" << x[i] << ")";
    } else if (wf < 1.1754944e-38f) {  // denormal or zero: absolute error
      EXPECT_NEAR(out[i], wf, 1e-44f) << where << ": exp(" << x[i] << ")";
    } else {
      double ulp = std::nextafter(wf, INFINITY) - wf;
      EXPECT_LE(std::fabs(out[i] - want), ulp) << where << ": exp(" << x[i] << ") = " << out[i] << ", want " << want;
    }
  }
}

TEST(FuserCodegen, ExpIsWithinAnUlpOverTheWholeRange) {
  // The inlined float exp, in a pointwise kernel (the scalar function under `omp simd`) and in a
  // row loop (the explicit-vector function, and its scalar tail): every float in [-110, 90] at a
  // stride, the overflow and underflow edges, and the special values.
  std::vector<float> x;
  for (float v = -110.0f; v < 90.0f; v += 0.0137f) x.push_back(v);
  for (float v : {0.0f, -0.0f, 88.72f, 88.73f, -87.3f, -103.9f, -104.5f, INFINITY, -INFINITY, NAN, 1e-30f, -1e-30f}) x.push_back(v);
  const int64_t n = static_cast<int64_t>(x.size());
  auto k = compile(str("def f(x: \"cpu f32[", n, "]\"):\n  t0 = prims.exp(x)  # t0: \"cpu f32[", n, "]\"\n  return (t0,)\n"));
  std::vector<float> out(x.size());
  run(k, {x.data(), out.data()}, {1});
  expect_exp_within_an_ulp(x, out, "pointwise");

  const std::string row_text = str("def f(x: \"cpu f32[1, ", n, "]\"):\n  t0 = prims.exp(x)  # t0: \"cpu f32[1, ", n, "]\"\n",
                                   "  t1 = prims.sum(t0, (1,))  # t1: \"cpu f32[1]\"\n  return (t0, t1)\n");
  auto row = compile(row_text);
  ASSERT_EQ(row.schedule.kind, fuser::Schedule::Kind::InnerPersistent);
  ASSERT_NE(source_of(row_text).find("kr_vf"), std::string::npos);
  std::vector<float> rout(x.size()), total(1);
  run(row, {x.data(), rout.data(), total.data()}, {n, 1});
  expect_exp_within_an_ulp(x, rout, "row loop");
}

TEST(FuserCodegen, RowMaxKeepsANanFlagOnlyWhenASumCannotCarryTheNan) {
  // softmax's max only shifts what a row sum adds up: a NaN in the row reaches every output through
  // the sum, so the max needs no flag. With the max itself an output the flag stays.
  const std::string head = "def f(x: \"cpu f32[6, 33]\"):\n";
  std::string alone = source_of(softmax_text(6, 33, "t6,"));
  EXPECT_EQ(alone.find("? NAN :"), std::string::npos) << alone;
  EXPECT_NE(source_of(softmax_text(6, 33, "t6, t0")).find("? NAN :"), std::string::npos);
  // The second loop over a row (the exponentials, from L1) prefetches the next row's input.
  EXPECT_NE(alone.find("kr_pf<F>(in0 + "), std::string::npos) << alone;
  EXPECT_EQ(source_of(head + "  t0 = prims.sum(x, (1,))  # t0: \"cpu f32[6]\"\n  return (t0,)\n").find("kr_pf<F>(in0 + "),
            std::string::npos);
  // A where between the row values and the sum can drop a NaN: the flag stays.
  std::string masked = source_of(head + R"(  t0 = prims.amax(x, (1,))  # t0: "cpu f32[6]"
  t1 = prims.broadcast_in_dim(t0, (6, 33), (0,))  # t1: "cpu f32[6, 33]"
  t2 = prims.sub(x, t1)  # t2: "cpu f32[6, 33]"
  t7 = prims.gt(x, 0.0)  # t7: "cpu b8[6, 33]"
  t8 = prims.where(t7, t2, 0.0)  # t8: "cpu f32[6, 33]"
  t3 = prims.exp(t8)  # t3: "cpu f32[6, 33]"
  t4 = prims.sum(t3, (1,))  # t4: "cpu f32[6]"
  t5 = prims.broadcast_in_dim(t4, (6, 33), (0,))  # t5: "cpu f32[6, 33]"
  t6 = prims.div(t3, t5)  # t6: "cpu f32[6, 33]"
  return (t6,)
)");
  EXPECT_NE(masked.find("? NAN :"), std::string::npos) << masked;
  // Without the flag the NaN still comes out: a whole row of NaN, and a NaN among infinities.
  auto k = compile(softmax_text(6, 33, "t6,"));
  auto x = randn(6 * 33, 5);
  for (int c = 0; c < 33; ++c) x[c] = NAN;
  x[33 + 3] = NAN;
  x[33 + 4] = INFINITY;
  x[66 + 7] = -INFINITY;
  std::vector<float> out(6 * 33);
  run(k, {x.data(), out.data()}, {33, 1});
  for (int c = 0; c < 66; ++c) EXPECT_TRUE(std::isnan(out[c])) << c;
  for (int c = 66; c < 6 * 33; ++c) EXPECT_FALSE(std::isnan(out[c])) << c;
}

TEST(FuserCodegen, RowInvariantWorkLeavesTheInnerLoop) {
  std::string src = source_of(R"(def f(x: "cpu f32[4, 64]", w: "cpu f32[64]"):
  t0, t1 = prims.var_mean(x, (1,), correction=0)  # t0: "cpu f32[4]", t1: "cpu f32[4]"
  t2 = prims.add(t0, 1e-05)  # t2: "cpu f32[4]"
  t3 = prims.rsqrt(t2)  # t3: "cpu f32[4]"
  t4 = prims.broadcast_in_dim(t1, (4, 64), (0,))  # t4: "cpu f32[4, 64]"
  t5 = prims.sub(x, t4)  # t5: "cpu f32[4, 64]"
  t6 = prims.broadcast_in_dim(t3, (4, 64), (0,))  # t6: "cpu f32[4, 64]"
  t7 = prims.mul(t5, t6)  # t7: "cpu f32[4, 64]"
  t8 = prims.broadcast_in_dim(w, (4, 64), (1,))  # t8: "cpu f32[4, 64]"
  t9 = prims.mul(t7, t8)  # t9: "cpu f32[4, 64]"
  return (t9,)
)");
  // The reciprocal square root is computed once per row, before the loop that writes the row (a
  // plain loop, or the generic body `kr_out` of the explicit-vector path).
  const std::string kernel = src.substr(src.find("void keraunos_kernel("));
  size_t sqrt_at = std::min(kernel.find("std::sqrt("), kernel.find("kr_sqrt("));
  size_t last_loop = kernel.find("auto kr_out") != std::string::npos ? kernel.find("auto kr_out") : kernel.rfind("for (int64_t q");
  ASSERT_NE(sqrt_at, std::string::npos) << kernel;
  EXPECT_LT(sqrt_at, last_loop) << kernel;
  EXPECT_EQ(count(kernel, "sqrt("), 1u) << kernel;
}

TEST(FuserCodegen, SoftmaxKeepsItsExponentialsInARowBuffer) {
  std::string src = source_of(softmax_text(6, 33, "t6,"));
  // The sum's loop computes the exponentials and keeps them; the output loop reads them back and
  // calls no exp. (Loops may be printed twice: threads over rows, or over a few long rows' blocks.)
  const std::string kernel = src.substr(src.find("void keraunos_kernel("));
  const size_t writes = count(kernel, "buf0[q] = ") + count(kernel, "kr_st(buf0 + q, ");
  const size_t reads = count(kernel, "= buf0[q]") + count(kernel, "kr_ld<F>(buf0 + q)");
  EXPECT_GE(writes, 1u) << kernel;
  EXPECT_GE(reads, 1u) << kernel;
  EXPECT_EQ(count(kernel, "kr_exp("), writes) << kernel;
}

TEST(FuserCodegen, RowLoopsRunOnVectorLanesWithAScalarTail) {
  // exp(x - max) kept as a full-size output: the row loops are generic bodies (16 lanes, then the
  // tail of 37 = 2 * 16 + 5), and the vector exp is as accurate as the scalar one.
  const std::string text = R"(def f(x: "cpu f32[5, 37]"):
  t0 = prims.amax(x, (1,))  # t0: "cpu f32[5]"
  t1 = prims.broadcast_in_dim(t0, (5, 37), (0,))  # t1: "cpu f32[5, 37]"
  t2 = prims.sub(x, t1)  # t2: "cpu f32[5, 37]"
  t3 = prims.exp(t2)  # t3: "cpu f32[5, 37]"
  t4 = prims.sum(t3, (1,))  # t4: "cpu f32[5]"
  return (t3, t4)
)";
  EXPECT_NE(generate(text).source.find("auto kr_body = [=]"), std::string::npos);
  auto k = compile(text);
  auto x = randn(5 * 37, 11);
  for (size_t i = 0; i < x.size(); ++i) x[i] *= 30.0f;  // exp(x - max) down into the denormals
  x[2 * 37 + 20] = NAN;                                 // row 2: NaN everywhere, through the max
  std::vector<float> e(5 * 37), sums(5);
  run(k, {x.data(), e.data(), sums.data()}, {37, 1});
  for (int r = 0; r < 5; ++r) {
    float m = -INFINITY;
    for (int c = 0; c < 37; ++c) m = std::max(m, x[static_cast<size_t>(r * 37 + c)]);
    double total = 0;
    for (int c = 0; c < 37; ++c) {
      const size_t i = static_cast<size_t>(r * 37 + c);
      if (r == 2) {
        EXPECT_TRUE(std::isnan(e[i]));
        continue;
      }
      const double want = std::exp(static_cast<double>(x[i] - m));
      total += want;
      const float wf = static_cast<float>(want);
      if (wf < 1.1754944e-38f)
        EXPECT_NEAR(e[i], wf, 1e-44f) << "row " << r << " col " << c;
      else
        EXPECT_LE(std::fabs(e[i] - want), std::nextafter(wf, INFINITY) - wf) << "row " << r << " col " << c;
    }
    if (r == 2)
      EXPECT_TRUE(std::isnan(sums[2]));
    else
      EXPECT_NEAR(sums[static_cast<size_t>(r)], total, 1e-5 * total);
  }
  // Index maps keep the scalar path (their indices are per lane).
  EXPECT_EQ(generate(R"(def f(x: "cpu f32[5, 37]"):
  t0 = prims.flip(x, (1,))  # t0: "cpu f32[5, 37]"
  t1 = prims.sum(t0, (1,))  # t1: "cpu f32[5]"
  return (t1,)
)")
                .source.find("auto kr_body"),
            std::string::npos);
}

TEST(FuserCodegen, IntegerMaxKeepsEveryBit) {
  // Values beyond float's 24-bit mantissa: the accumulator has the input's integer type.
  auto k = compile(R"(def f(x: "cpu i64[3, 5]"):
  t0 = prims.amax(x, (1,))  # t0: "cpu i64[3]"
  t1 = prims.amin(x, (1,))  # t1: "cpu i64[3]"
  return (t0, t1)
)");
  std::vector<int64_t> x(15), mx(3), mn(3);
  for (int i = 0; i < 15; ++i) x[static_cast<size_t>(i)] = (int64_t{1} << 40) + (i * 7919) % 13 - 6;
  run(k, {x.data(), mx.data(), mn.data()}, {5, 1});
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(mx[static_cast<size_t>(r)], *std::max_element(x.begin() + r * 5, x.begin() + r * 5 + 5));
    EXPECT_EQ(mn[static_cast<size_t>(r)], *std::min_element(x.begin() + r * 5, x.begin() + r * 5 + 5));
  }
}

TEST(FuserCodegen, OuterVarMeanIsOneWelfordSweep) {
  // Columns with a large mean and a small spread: a one-pass sum of squares would cancel away.
  auto k = compile(R"(def f(x: "cpu f32[9001, 5]"):
  t0, t1 = prims.var_mean(x, (0,), correction=1)  # t0: "cpu f32[5]", t1: "cpu f32[5]"
  t2 = prims.amax(x, (0,))  # t2: "cpu f32[5]"
  return (t0, t1, t2)
)");
  EXPECT_EQ(k.schedule.kind, fuser::Schedule::Kind::OuterReduction);
  EXPECT_NE(k.schedule.str().find("welford=["), std::string::npos) << k.schedule.str();
  auto x = randn(9001 * 5, 7);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 1e4f + static_cast<float>(i % 5) + 0.01f * x[i];
  x[17 * 5 + 3] = NAN;  // column 3: NaN through all three
  std::vector<float> var(5), mean(5), mx(5);
  run(k, {x.data(), var.data(), mean.data(), mx.data()}, {5, 1});
  for (int c = 0; c < 5; ++c) {
    if (c == 3) {
      EXPECT_TRUE(std::isnan(var[3]) && std::isnan(mean[3]) && std::isnan(mx[3]));
      continue;
    }
    double m = 0, v = 0, hi = -INFINITY;
    for (int r = 0; r < 9001; ++r) m += x[static_cast<size_t>(r * 5 + c)], hi = std::max<double>(hi, x[static_cast<size_t>(r * 5 + c)]);
    m /= 9001;
    for (int r = 0; r < 9001; ++r) v += (x[static_cast<size_t>(r * 5 + c)] - m) * (x[static_cast<size_t>(r * 5 + c)] - m);
    v /= 9000;
    EXPECT_NEAR(mean[static_cast<size_t>(c)], m, 1e-3);
    EXPECT_NEAR(var[static_cast<size_t>(c)], v, 1e-3 * v) << "column " << c;
    EXPECT_EQ(mx[static_cast<size_t>(c)], static_cast<float>(hi));
  }
}

TEST(FuserCodegen, MixedReducedAndKeptDimsUseTheGeneralReduction) {
  auto k = compile(R"(def f(x: "cpu f32[3, 4, 5]"):
  t0 = prims.sum(x, (0, 2))  # t0: "cpu f32[4]"
  return (t0,)
)");
  EXPECT_EQ(k.schedule.kind, fuser::Schedule::Kind::Reduction);
  auto x = randn(60, 8);
  std::vector<float> out(4);
  run(k, {x.data(), out.data()}, {20, 5, 1});
  for (int j = 0; j < 4; ++j) {
    float want = 0;
    for (int i = 0; i < 3; ++i)
      for (int l = 0; l < 5; ++l) want += x[static_cast<size_t>(i * 20 + j * 5 + l)];
    EXPECT_NEAR(out[static_cast<size_t>(j)], want, 1e-4f);
  }
}

TEST(FuserCodegen, SchedulerSaysWhyNot) {
  Trace t = testing::parse(R"(def f(x: "cpu f32[4, 8]"):
  t0 = prims.sum(x, (1,))  # t0: "cpu f32[4]"
  t1 = prims.sum(x, (0,))  # t1: "cpu f32[8]"
  return (t0, t1)
)");
  auto built = fuser::build_fusion(t, as_region(t));
  ASSERT_TRUE(built.ok);
  auto sched = fuser::schedule_fusion(built.fusion);
  EXPECT_FALSE(sched.ok);
  EXPECT_EQ(sched.ok.reason, "reductions over different dims or shapes");
  Trace u = testing::parse(R"(def f(x: "cpu f32[4]"):
  t0 = prims.erfinv(x)  # t0: "cpu f32[4]"
  return (t0,)
)");
  EXPECT_EQ(fuser::supports_prim(u, u.bsyms[0]).reason, "no fused code for prims.erfinv");
}

TEST(FuserCodegen, CacheKeyExplainsItself) {
  jit_compiler::CacheKey a{"c++", "g++ 12", {"-O3"}, 1, ""}, b = a;
  b.source_hash = 2;
  EXPECT_NE(a.hash(), b.hash());
  EXPECT_EQ(a.diff(b), "source differs\n");
  EXPECT_NE(a.describe().find("compiler version: g++ 12"), std::string::npos);
  // The same source, compiler and flags on another CPU is another kernel.
  jit_compiler::CacheKey c = a;
  c.target = "-march=znver4 -mavx512f";
  EXPECT_NE(a.hash(), c.hash());
  EXPECT_EQ(a.diff(c), "target differs (another CPU)\n");
  EXPECT_NE(c.describe().find("target: -march=znver4"), std::string::npos);
  // Here, the compiler's expansion of -march=native names an architecture.
  EXPECT_NE(jit_compiler::native_target().find("-march="), std::string::npos) << jit_compiler::native_target();
}

}  // namespace
}  // namespace keraunos
