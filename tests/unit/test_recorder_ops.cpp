// Recording through the Recorder: binding, decompositions, shallow copies, meta errors.
#include <gtest/gtest.h>

#include "ir/verifier.h"
#include "test_util.h"

namespace keraunos {
namespace {

using testing::f32;

struct Fixture : ::testing::Test {
  Trace t;
  Recorder r{t};
  void SetUp() override { ops::register_builtins(); }
  Value input(TensorType tt, std::string name) {
    Value v = Value::proxy(t.new_tensor(std::move(tt), std::move(name)));
    t.inputs.push_back(v.as_proxy());
    return v;
  }
};

using RecorderTest = Fixture;

TEST_F(RecorderTest, BindingNormalizesKeywordsAndDefaults) {
  Value a = input(f32({2, 3}), "a");
  auto v1 = r.call("prims.var_mean", {a, Value::integer(1)});
  auto v2 = r.call("prims.var_mean", {}, {{"a", a}, {"dims", Value::ints({1})}, {"correction", Value::integer(1)}});
  EXPECT_EQ(t.bsyms[0].args, t.bsyms[1].args);  // same canonical form, so CSE sees them as equal
  EXPECT_EQ(t.bsyms[0].args[1], Value::ints({1}));
  EXPECT_EQ(v1.size(), 2u);
}

TEST_F(RecorderTest, BindingErrorsNameOpAndParameter) {
  Value a = input(f32({2}), "a");
  try {
    r.call("prims.sum", {a}, {{"dimz", Value::ints({0})}});
    FAIL();
  } catch (const TypeError& e) {
    EXPECT_NE(std::string(e.what()).find("prims.sum() got an unexpected keyword argument 'dimz'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(r.call("prims.neg", {a, a}), TypeError);
  try {
    r.call("prims.transpose", {a, Value::string("x")});
    FAIL();
  } catch (const TypeError& e) {
    EXPECT_NE(std::string(e.what()).find("argument 'permutation' must be a tuple of ints, got str \"x\""), std::string::npos) << e.what();
  }
}

TEST_F(RecorderTest, CompositeRecordsSubsymbolsEndingInItsOutput) {
  Value a = input(f32({4}, DType::BFloat16), "a");
  Value b = input(f32({3, 4}), "b");
  Value out = r.call1("torch.add", {a, b}, {{"alpha", Value::integer(2)}});
  ASSERT_EQ(t.bsyms.size(), 1u);
  const auto& bs = t.bsyms[0];
  EXPECT_EQ(bs.sym->id, "torch.add");
  ASSERT_FALSE(bs.subsymbols.empty());
  EXPECT_EQ(bs.subsymbols.back().outputs[0], out.as_proxy());
  EXPECT_EQ(t.type(out.as_proxy()).tensor, f32({3, 4}));  // bf16 + f32 promotes to f32, [4] broadcasts to [3, 4]
  EXPECT_TRUE(verify_trace(t).empty());
}

TEST_F(RecorderTest, PassThroughCompositeGetsShallowCopy) {
  Value a = input(f32({4}), "a");
  Value out = r.call1("torch.floor", {input(f32({4}, DType::Int32), "i")});  // floor of ints needs no work... still a copy
  (void)a;
  const auto& bs = t.bsyms[0];
  ASSERT_FALSE(bs.subsymbols.empty());
  EXPECT_NE(out.as_proxy(), t.inputs[1]);
  EXPECT_TRUE(verify_trace(t).empty());
}

TEST_F(RecorderTest, MetaErrorsNameShapesAndDtypes) {
  Value a = input(f32({2, 3}), "a");
  Value b = input(f32({4, 3}), "b");
  try {
    r.call1("torch.mul", {a, b});
    FAIL();
  } catch (const TypeError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("shapes [2, 3] and [4, 3] cannot be broadcast"), std::string::npos) << m;
  }
  Value f = input(f32({2}), "f");
  try {
    r.call1("torch.bitwise_and", {f, f});
    FAIL();
  } catch (const TypeError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("prims.bitwise_and: expected a bool or integer dtype, got a tensor cpu f32[2]"), std::string::npos) << m;
  }
  try {
    r.call1("prims.sum", {a, Value::ints({2})});
    FAIL();
  } catch (const TypeError& e) {
    EXPECT_NE(std::string(e.what()).find("dimension 2 is out of range for a tensor of rank 2"), std::string::npos) << e.what();
  }
}

TEST_F(RecorderTest, MatmulInnerDimensionMismatchNamesShapes) {
  Value a = input(f32({2, 3}), "a");
  Value b = input(f32({4, 5}), "b");
  try {
    r.call1("torch.matmul", {a, b});
    FAIL();
  } catch (const TypeError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("torch.matmul"), std::string::npos) << m;
    EXPECT_NE(m.find("inner dimensions do not match"), std::string::npos) << m;
    EXPECT_NE(m.find("cpu f32[2, 3]"), std::string::npos) << m;
    EXPECT_NE(m.find("cpu f32[4, 5]"), std::string::npos) << m;
  }
}

TEST_F(RecorderTest, TypePromotionWithWeakScalars) {
  Value i = input(f32({2}, DType::Int32), "i");
  Value h = input(f32({2}, DType::Float16), "h");
  Value z = input(f32({}, DType::Float64), "z");
  auto dtype_of = [&](const Value& v) { return t.type(v.as_proxy()).tensor.dtype; };
  EXPECT_EQ(dtype_of(r.call1("torch.add", {i, Value::floating(1.5)})), DType::Float32);  // int tensor + float -> default float
  EXPECT_EQ(dtype_of(r.call1("torch.add", {i, Value::integer(3)})), DType::Int32);       // scalars are weak
  EXPECT_EQ(dtype_of(r.call1("torch.mul", {h, z})), DType::Float16);                     // 0-d tensors rank below dim tensors
  EXPECT_EQ(dtype_of(r.call1("torch.mul", {i, z})), DType::Float64);                     // ...unless of a higher category
  EXPECT_EQ(dtype_of(r.call1("torch.div", {i, i})), DType::Float32);                     // true division
  EXPECT_EQ(dtype_of(r.call1("torch.lt", {h, Value::integer(0)})), DType::Bool);
  EXPECT_EQ(dtype_of(r.call1("torch.exp", {i})), DType::Float32);
}

TEST_F(RecorderTest, InferRollsBackScratchProxies) {
  Value a = input(f32({2, 3}), "a");
  size_t n = t.num_proxies();
  auto types = r.infer(global_symbols().get("torch.softmax"), {a, Value::integer(1), Value::none()});
  EXPECT_EQ(t.num_proxies(), n);
  ASSERT_EQ(types.size(), 1u);
  EXPECT_EQ(types[0].tensor, f32({2, 3}));
}

}  // namespace
}  // namespace keraunos
