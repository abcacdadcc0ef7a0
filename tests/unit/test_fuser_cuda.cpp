// The fuser's CUDA back end without a GPU: generated CUDA C++ compiled through NVRTC for Hopper
// (sm_90a), so invalid generated code fails here, on any machine with the CUDA toolkit. Whether the
// kernels compute the right values is checked on a GPU (tests/python, with CUDA tensors).
#include <gtest/gtest.h>

#include "executors/fuser/fusion.h"
#include "fuser_test_util.h"
#include "jit/nvrtc.h"
#include "ops/prim_table.h"
#include "test_util.h"

namespace keraunos {
namespace {

// NVRTC is required where CMake found the CUDA toolkit (CI's machine): a missing library must fail
// these tests there, not skip them.
void require_nvrtc() {
  setenv("KERAUNOS_CACHE_DIR", (std::string(::testing::TempDir()) + "/keraunos-cuda-test").c_str(), 1);
  std::string why;
  if (nvrtc::available(&why)) return;
#if KERAUNOS_EXPECT_NVRTC
  FAIL() << "the CUDA toolkit was found at configure time, but " << why;
#else
  GTEST_SKIP() << why;
#endif
}

struct CudaKernel {
  std::string source;
  fuser::Schedule schedule;
};

CudaKernel cuda_kernel(const std::string& text, fuser::ContiguityMask contig = ~0ULL) {
  Trace t = testing::parse(text);
  auto built = fuser::build_fusion(t, testing::as_region(t));
  EXPECT_TRUE(built.ok) << built.ok.reason << "\n" << text;
  auto sched = fuser::schedule_fusion(built.fusion);
  EXPECT_TRUE(sched.ok) << sched.ok.reason << "\n" << text;
  return {fuser::generate_cuda(built.fusion, sched.schedule, contig), sched.schedule};
}

void expect_compiles(const std::string& source, const std::string& what) {
  try {
    nvrtc::Binary b = nvrtc::compile(source, "sm_90a");
    EXPECT_FALSE(b.cubin.empty()) << what;
  } catch (const jit_compiler::CompileError& e) {
    ADD_FAILURE() << what << ": " << e.what() << "\n" << e.log() << "\n" << source;
  }
}

TEST(FuserCuda, PreludeCompilesAsAHeader) {
  require_nvrtc();
  const std::string use = std::string(fuser::cuda_prelude()) + R"(
extern "C" __global__ void k(float* o, uint16_t* h, int64_t* err) {
  const float x = o[threadIdx.x];
  h[threadIdx.x] = kr_f_to_bf16(kr_round_f16(kr_exp(x)) + kr_round_bf16(kr_f16_to_f(h[threadIdx.x])));
  o[threadIdx.x] = kr_bf16_to_f(h[0]) + (std::isnan(x) ? NAN : INFINITY) + std::fabs(x) + std::fmod(x, 2.0f);
  if (x < 0) kr_flag(err, 1);
}
)";
  expect_compiles(use, "prelude");
}

// A one-op region over `shape` for prim `name` with inputs of `in` and output `out`.
std::string one_op(const std::string& name, int arity, const std::string& in, const std::string& out, bool cond_first = false) {
  std::string params, args;
  for (int k = 0; k < arity; ++k) {
    const std::string dt = cond_first && k == 0 ? "b8" : in;
    params += (k ? ", " : "") + str("x", k, ": \"cpu ", dt, "[3, 5]\"");
    args += (k ? ", " : "") + str("x", k);
  }
  return str("def f(", params, "):\n  t0 = prims.", name, "(", args, ")  # t0: \"cpu ", out, "[3, 5]\"\n  return (t0,)\n");
}

TEST(FuserCuda, EveryFusedElementwisePrimCompiles) {
  require_nvrtc();
  int compiled = 0;
  for (const auto& e : ops::kElementwisePrims) {
    if (!e.has(ops::kFuse) || e.in == ops::PrimIn::Complex) continue;
    const bool where = e.id == ops::PrimId::where;
    // Every dtype family the prim takes: float32, bfloat16 and float64 for floating ops, int32 for
    // integer ones, bool where accepted.
    std::vector<std::string> dtypes;
    switch (e.in) {
      case ops::PrimIn::Float:
      case ops::PrimIn::FloatReal:
        dtypes = {"f32", "bf16", "f64"};
        break;
      case ops::PrimIn::Int:
        dtypes = {"i32", "i64"};
        break;
      case ops::PrimIn::IntOrBool:
        dtypes = {"i32", "b8"};
        break;
      case ops::PrimIn::NotBool:
      case ops::PrimIn::RealNotBool:
        dtypes = {"f32", "f16", "i32"};
        break;
      default:
        dtypes = {"f32", "f16", "i64", "b8"};
        break;
    }
    for (const auto& dt : dtypes) {
      if (e.has(ops::kFloatCode) && dt[0] != 'f' && dt[0] != 'b') continue;
      const std::string out = e.out == ops::PrimOut::Bool ? "b8" : dt;
      const std::string text = one_op(std::string(e.name), e.arity, dt, out, where);
      Trace t = testing::parse(text);
      auto built = fuser::build_fusion(t, testing::as_region(t));
      if (!built.ok) continue;  // the fuser declines this dtype (it says why elsewhere)
      auto sched = fuser::schedule_fusion(built.fusion);
      ASSERT_TRUE(sched.ok) << sched.ok.reason;
      // Strided inputs once per prim (the index arithmetic does not depend on the dtype).
      for (fuser::ContiguityMask contig : {~0ULL, 0ULL})
        if (contig == ~0ULL || dt == dtypes.front())
          expect_compiles(fuser::generate_cuda(built.fusion, sched.schedule, contig), str(e.qualified, " on ", dt));
      ++compiled;
    }
  }
  EXPECT_GT(compiled, 60);
}

TEST(FuserCuda, MovementLiteralsScalarsAndHalfStoresCompile) {
  require_nvrtc();
  // Broadcast, transpose, a Python number, literals (inf, NaN), a conversion to bfloat16 stored
  // once-rounded, a gather with its index check, a 0-d output.
  const std::vector<std::string> texts = {
      "def f(x: \"cpu f32[4, 1]\", y: \"cpu bf16[4, 6]\"):\n"
      "  t0 = prims.broadcast_in_dim(x, (4, 6), (0, 1))  # t0: \"cpu f32[4, 6]\"\n"
      "  t1 = prims.convert_element_type(y, torch.float32)  # t1: \"cpu f32[4, 6]\"\n"
      "  t2 = prims.mul(t0, t1)  # t2: \"cpu f32[4, 6]\"\n"
      "  t3 = prims.maximum(t2, -float('inf'))  # t3: \"cpu f32[4, 6]\"\n"
      "  t4 = prims.convert_element_type(t3, torch.bfloat16)  # t4: \"cpu bf16[4, 6]\"\n"
      "  return (t4, t2)\n",
      "def f(x: \"cpu f16[5, 7]\"):\n"
      "  t0 = prims.transpose(x, (1, 0))  # t0: \"cpu f16[7, 5]\"\n"
      "  t1 = prims.convert_element_type(t0, torch.float32)  # t1: \"cpu f32[7, 5]\"\n"
      "  t2 = prims.isnan(t1)  # t2: \"cpu b8[7, 5]\"\n"
      "  t3 = prims.where(t2, float('nan'), t1)  # t3: \"cpu f32[7, 5]\"\n"
      "  return (t3,)\n",
      "def f(x: \"cpu f32[]\", y: \"cpu f32[]\"):\n"
      "  t0 = prims.atan2(x, y)  # t0: \"cpu f32[]\"\n"
      "  return (t0,)\n",
      "def f(x: \"cpu f32[4, 6]\", i: \"cpu i64[4, 2]\"):\n"
      "  t0 = prims.take_along_axis(x, i, 1)  # t0: \"cpu f32[4, 2]\"\n"
      "  t1 = prims.exp(t0)  # t1: \"cpu f32[4, 2]\"\n"
      "  return (t1,)\n",
  };
  for (const auto& text : texts) {
    Trace t = testing::parse(text);
    auto built = fuser::build_fusion(t, testing::as_region(t));
    ASSERT_TRUE(built.ok) << built.ok.reason << "\n" << text;
    auto sched = fuser::schedule_fusion(built.fusion);
    ASSERT_TRUE(sched.ok) << sched.ok.reason;
    ASSERT_EQ(sched.schedule.kind, fuser::Schedule::Kind::Pointwise);
    for (fuser::ContiguityMask contig : {~0ULL, 0ULL}) expect_compiles(fuser::generate_cuda(built.fusion, sched.schedule, contig), text);
  }
}

TEST(FuserCuda, ArgumentsAreOneStructOfWords) {
  const std::string text =
      "def f(x: \"cpu f32[4, 6]\", y: \"cpu f32[6]\"):\n"
      "  t0 = prims.broadcast_in_dim(y, (4, 6), (1,))  # t0: \"cpu f32[4, 6]\"\n"
      "  t1 = prims.add(x, t0)  # t1: \"cpu f32[4, 6]\"\n"
      "  return (t1,)\n";
  Trace t = testing::parse(text);
  auto built = fuser::build_fusion(t, testing::as_region(t));
  ASSERT_TRUE(built.ok);
  const fuser::CudaArgCounts c = fuser::cuda_arg_counts(built.fusion);
  EXPECT_EQ(c.pointers, 4);  // two inputs, one output, the status word
  EXPECT_EQ(c.strides, 3);   // x's two dims, y's one
  EXPECT_EQ(c.numbers, 1);   // none, padded to one
  const std::string src = cuda_kernel(text).source;
  EXPECT_NE(src.find("char* P[4];"), std::string::npos) << src;
  EXPECT_NE(src.find("int64_t ST[3];"), std::string::npos) << src;
  EXPECT_NE(src.find("__launch_bounds__(" + std::to_string(fuser::kCudaBlock) + ")"), std::string::npos);
}

TEST(FuserCuda, RowReductionsAndNormalizationsCompile) {
  require_nvrtc();
  // softmax (max with the NaN flag elided, sum), a row sum to a 0-d-per-row output, var_mean's two
  // stages, an integer max (int accumulators), a bf16 layer_norm-like chain with full-size outputs.
  const std::vector<std::string> texts = {
      "def f(x: \"cpu f32[8, 300]\"):\n"
      "  t0 = prims.amax(x, (1,))  # t0: \"cpu f32[8]\"\n"
      "  t1 = prims.broadcast_in_dim(t0, (8, 300), (0,))  # t1: \"cpu f32[8, 300]\"\n"
      "  t2 = prims.sub(x, t1)  # t2: \"cpu f32[8, 300]\"\n"
      "  t3 = prims.exp(t2)  # t3: \"cpu f32[8, 300]\"\n"
      "  t4 = prims.sum(t3, (1,))  # t4: \"cpu f32[8]\"\n"
      "  t5 = prims.broadcast_in_dim(t4, (8, 300), (0,))  # t5: \"cpu f32[8, 300]\"\n"
      "  t6 = prims.div(t3, t5)  # t6: \"cpu f32[8, 300]\"\n"
      "  return (t6, t0)\n",
      "def f(x: \"cpu bf16[8, 300]\"):\n"
      "  t0 = prims.convert_element_type(x, torch.float32)  # t0: \"cpu f32[8, 300]\"\n"
      "  t1, t2 = prims.var_mean(t0, (1,), correction=0)  # t1: \"cpu f32[8]\", t2: \"cpu f32[8]\"\n"
      "  t3 = prims.broadcast_in_dim(t2, (8, 300), (0,))  # t3: \"cpu f32[8, 300]\"\n"
      "  t4 = prims.sub(t0, t3)  # t4: \"cpu f32[8, 300]\"\n"
      "  t5 = prims.convert_element_type(t4, torch.bfloat16)  # t5: \"cpu bf16[8, 300]\"\n"
      "  return (t5, t1)\n",
      "def f(x: \"cpu f32[8, 300]\"):\n"
      "  t0 = prims.amax(x, (1,))  # t0: \"cpu f32[8]\"\n"
      "  return (t0,)\n",
      "def f(x: \"cpu i8[4, 6, 5]\"):\n"
      "  t0 = prims.amin(x, (1, 2))  # t0: \"cpu i8[4]\"\n"
      "  return (t0,)\n",
      "def f(x: \"cpu f16[4, 6]\"):\n"
      "  t0 = prims.convert_element_type(x, torch.float32)  # t0: \"cpu f32[4, 6]\"\n"
      "  t1 = prims.prod(t0, (1,))  # t1: \"cpu f32[4]\"\n"
      "  return (t1,)\n",
  };
  for (const auto& text : texts) {
    Trace t = testing::parse(text);
    auto built = fuser::build_fusion(t, testing::as_region(t));
    ASSERT_TRUE(built.ok) << built.ok.reason << "\n" << text;
    auto sched = fuser::schedule_fusion(built.fusion);
    ASSERT_TRUE(sched.ok) << sched.ok.reason;
    ASSERT_NE(sched.schedule.kind, fuser::Schedule::Kind::Pointwise) << text;
    const std::string src = fuser::generate_cuda(built.fusion, sched.schedule, ~0ULL);
    EXPECT_NE(src.find("kr_block_reduce"), std::string::npos) << src;
    for (fuser::ContiguityMask contig : {~0ULL, 0ULL}) expect_compiles(fuser::generate_cuda(built.fusion, sched.schedule, contig), text);
  }
}

TEST(FuserCuda, LeadingDimReductionsSayNotYet) {
  const std::string text =
      "def f(x: \"cpu f32[400, 6]\"):\n"
      "  t0 = prims.sum(x, (0,))  # t0: \"cpu f32[6]\"\n"
      "  return (t0,)\n";
  Trace t = testing::parse(text);
  auto built = fuser::build_fusion(t, testing::as_region(t));
  ASSERT_TRUE(built.ok);
  auto sched = fuser::schedule_fusion(built.fusion);
  ASSERT_TRUE(sched.ok);
  ASSERT_EQ(sched.schedule.kind, fuser::Schedule::Kind::OuterReduction);
  try {
    fuser::generate_cuda(built.fusion, sched.schedule, ~0ULL);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no CUDA code"), std::string::npos) << e.what();
  }
}

TEST(FuserCuda, InvalidSourceFailsWithTheLog) {
  require_nvrtc();
  try {
    nvrtc::compile("extern \"C\" __global__ void k() { undeclared_name = 1; }", "sm_90a");
    FAIL() << "expected a CompileError";
  } catch (const jit_compiler::CompileError& e) {
    EXPECT_NE(e.log().find("undeclared_name"), std::string::npos) << e.log();
  }
}

TEST(FuserCuda, BinariesAreCachedByKey) {
  require_nvrtc();
  const std::string src = std::string(fuser::cuda_prelude()) + "extern \"C\" __global__ void k(float* o) { o[0] = kr_exp(o[0]); }\n";
  nvrtc::Binary a = nvrtc::compile(src, "sm_90a");
  nvrtc::Binary b = nvrtc::compile(src, "sm_90a");
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.cubin, b.cubin);
  EXPECT_EQ(a.key.size(), 64u);  // SHA-256
  nvrtc::Binary c = nvrtc::compile(src, "sm_80");
  EXPECT_NE(a.key, c.key);
}

}  // namespace
}  // namespace keraunos
