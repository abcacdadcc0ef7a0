// Values (equality, hashing, proxy mapping) and the trace arena (names, rollback).
#include <gtest/gtest.h>

#include <cmath>

#include "ir/trace.h"
#include "test_util.h"

namespace keraunos {
namespace {

TEST(Value, EqualityIsByKindAndBits) {
  EXPECT_EQ(Value::integer(2), Value::integer(2));
  EXPECT_NE(Value::integer(2), Value::floating(2.0));  // CSE must not merge 2 and 2.0
  EXPECT_NE(Value::floating(0.0), Value::floating(-0.0));
  EXPECT_EQ(Value::floating(std::nan("")), Value::floating(std::nan("")));
  EXPECT_EQ(Value::ints({1, 2}), Value::tuple({Value::integer(1), Value::integer(2)}));
  EXPECT_NE(Value::ints({1, 2}), Value::ints({2, 1}));
  EXPECT_EQ(Value::ints({1, 2}).hash(), Value::ints({1, 2}).hash());
  EXPECT_NE(Value::ints({1, 2}).hash(), Value::ints({2, 1}).hash());
  EXPECT_EQ(Value::string("x"), Value::string("x"));
  EXPECT_EQ(Value::device(Device::cuda(1)).as_device(), Device::cuda(1));
  EXPECT_EQ(Value::dtype(DType::BFloat16).as_dtype(), DType::BFloat16);
}

TEST(Value, MapProxiesRecursesIntoTuples) {
  Value v = Value::tuple({Value::proxy(1), Value::tuple({Value::proxy(2), Value::integer(7)})});
  Value m = v.map_proxies([](ProxyId p) { return p + 10; });
  std::vector<ProxyId> seen;
  m.for_each_proxy([&](ProxyId p) { seen.push_back(p); });
  EXPECT_EQ(seen, (std::vector<ProxyId>{11, 12}));
  EXPECT_EQ(m.as_tuple()[1].as_tuple()[1], Value::integer(7));
}

TEST(Value, AsIntsRejectsNonInts) {
  EXPECT_EQ(Value::integer(3).as_ints(), std::vector<int64_t>{3});
  EXPECT_THROW(Value::tuple({Value::floating(1.0)}).as_ints(), TypeError);
}

TEST(Trace, FreshNamesSkipTakenOnes) {
  Trace t;
  t.new_tensor(testing::f32({2}), "t0");
  ProxyId a = t.new_tensor(testing::f32({2}));
  EXPECT_EQ(t.name_of(a), "t1");
  ProxyId n = t.new_number(NumberType{NumberKind::Int, {}, {}});
  EXPECT_EQ(t.name_of(n), "n0");
  EXPECT_THROW(t.new_tensor(testing::f32({2}), "t1"), Error);
  EXPECT_EQ(t.find("t1"), a);
  EXPECT_FALSE(t.find("nope").has_value());
}

TEST(Trace, RollbackForgetsNames) {
  Trace t;
  size_t cp = t.checkpoint();
  t.new_tensor(testing::f32({2}), "x");
  t.rollback(cp);
  EXPECT_EQ(t.num_proxies(), 0u);
  EXPECT_FALSE(t.find("x").has_value());
  t.new_tensor(testing::f32({2}), "x");  // the name is free again
}

TEST(Trace, InputSizeSymbolsInOrder) {
  Trace t = testing::parse(R"(def f(a: "cpu f32[s1, s0]", b: "cpu f32[s0, 2]"):
  return (a,)
)");
  auto syms = t.input_size_symbols();
  ASSERT_EQ(syms.size(), 2u);
  EXPECT_EQ(t.name_of(syms[0]), "s1");
  EXPECT_EQ(t.name_of(syms[1]), "s0");
}

}  // namespace
}  // namespace keraunos
