// The text form: printing, parsing, the round trip, and parse errors with line and column.
#include <gtest/gtest.h>

#include <cmath>

#include "test_util.h"

namespace keraunos {
namespace {

using testing::f32;
using testing::parse;

Trace recorded_block() {
  ops::register_builtins();
  Trace t;
  Recorder r(t);
  ProxyId s0 = t.new_size_symbol("s0");
  TensorType xt{{Dim::symbolic(s0), Dim::constant(8)}, DType::BFloat16, Device::cuda(0), true};
  Value x = Value::proxy(t.new_tensor(xt, "x"));
  t.inputs = {x.as_proxy()};
  Value g = r.call1("torch.nn.functional.gelu", {x}, {{"approximate", Value::string("tanh")}});
  Value s = r.call1("torch.softmax", {g, Value::integer(-1)}, {{"dtype", Value::dtype(DType::Float32)}});
  auto vm = r.call("prims.var_mean", {s, Value::ints({1})}, {{"correction", Value::integer(0)}});
  t.outputs = {s, vm[0], Value::none(), Value::integer(3)};
  return t;
}

TEST(Printer, PrintsSignatureTypesAndDecomposition) {
  Trace t = recorded_block();
  std::string text = print_trace(t);
  EXPECT_NE(text.find("def computation(x: \"cuda:0 bf16[s0, 8] requires_grad\"):"), std::string::npos) << text;
  EXPECT_NE(text.find("torch.nn.functional.gelu(x, approximate=\"tanh\")"), std::string::npos) << text;
  EXPECT_NE(text.find("    # "), std::string::npos) << "decomposition printed as indented comments\n" << text;
  EXPECT_NE(text.find("prims.var_mean(t"), std::string::npos);
  EXPECT_NE(text.find("correction=0"), std::string::npos);
  EXPECT_NE(text.find("return ("), std::string::npos);
  EXPECT_NE(text.find(", None, 3)"), std::string::npos) << text;
}

TEST(Printer, DefaultsAreOmittedAndDepthLimits) {
  Trace t = recorded_block();
  std::string shallow = print_trace(t, {0});
  EXPECT_EQ(shallow.find("    # "), std::string::npos);
  EXPECT_EQ(print_trace(t).find("correction=1"), std::string::npos);
}

TEST(Printer, FloatsPrintShortestAndRoundTrip) {
  EXPECT_EQ(print_float(1.0), "1.0");
  EXPECT_EQ(print_float(0.1), "0.1");
  EXPECT_EQ(print_float(1e-5), "1e-05");
  EXPECT_EQ(print_float(INFINITY), "float('inf')");
  EXPECT_EQ(print_float(-INFINITY), "-float('inf')");
  EXPECT_EQ(print_float(NAN), "float('nan')");
  for (double v : {0.7978845608028654, 1e300, 5e-324, -2.5, 123456789.0}) {
    Trace t = parse("def f(a: \"cpu f32[2]\"):\n  t0 = prims.mul(a, " + print_float(v) + ")  # t0: \"cpu f32[2]\"\n  return (t0,)\n");
    EXPECT_EQ(t.bsyms[0].args[1], Value::floating(v)) << print_float(v);
  }
}

TEST(Parser, RoundTripOfRecordedTrace) {
  Trace t = recorded_block();
  std::string a = print_trace(t);
  Trace p = parse(a);
  EXPECT_EQ(print_trace(p), a);
  EXPECT_EQ(p.bsyms.size(), t.bsyms.size());
  EXPECT_EQ(p.bsyms[0].subsymbols.size(), t.bsyms[0].subsymbols.size());
  EXPECT_EQ(p.bsyms[0].line, 2);
}

TEST(Parser, LiteralsOfEveryKind) {
  Trace t = parse(R"(def f(a: "cpu f32[2, 3]", n: "int", x: "float 0.5", flag: "bool True"):
  t0 = prims.full((2, 3), -7, device=torch.device("cuda:1"), dtype=torch.bfloat16)  # t0: "cuda:1 bf16[2, 3]"
  return (t0, None, True, (1, (2.5, "a\"b")), n, x, flag)
)");
  EXPECT_EQ(t.bsyms[0].args[1], Value::integer(-7));
  EXPECT_EQ(t.bsyms[0].args[2].as_device(), Device::cuda(1));
  EXPECT_EQ(t.outputs.size(), 7u);
  EXPECT_EQ(t.outputs[3].as_tuple()[1].as_tuple()[1].as_str(), "a\"b");
  EXPECT_EQ(t.type(t.inputs[2]).number.float_value, 0.5);
  EXPECT_EQ(t.type(t.inputs[3]).number.int_value, 1);
  EXPECT_EQ(print_trace(parse(print_trace(t))), print_trace(t));
}

void expect_parse_error(const std::string& text, int line, int col, const std::string& what) {
  try {
    parse(text);
    FAIL() << "no error for:\n" << text;
  } catch (const ParseError& e) {
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_EQ(e.column(), col) << e.what();
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

TEST(Parser, ErrorsGiveLineAndColumn) {
  expect_parse_error("def f(a: \"cpu f32[2]\"):\n  t0 = prims.nope(a)  # t0: \"cpu f32[2]\"\n  return (t0,)\n", 2, 8,
                     "unknown symbol 'prims.nope'");
  expect_parse_error("def f(a: \"cpu f32[2]\"):\n  t0 = prims.neg(b)  # t0: \"cpu f32[2]\"\n  return (t0,)\n", 2, 18,
                     "name 'b' is not defined");
  expect_parse_error("def f(a: \"cpu f32[2]\"):\n  t0 = prims.neg(a  # t0: \"cpu f32[2]\"\n  return (t0,)\n", 2, 21, "expected ',' or ')'");
  expect_parse_error("def f(a: \"cpu f33[2]\"):\n  return (a,)\n", 1, 15, "unknown dtype 'f33'");
  expect_parse_error("def f(a: \"cpu f32[2]\"):\n  t0 = prims.neg(a)\n  return (t0,)\n", 2, 3, "output 't0' has no type");
  expect_parse_error("def f(a: \"cpu f32[2]\"):\n  t0 = prims.neg(a)  # t0: \"cpu f32[2]\"\n", 3, 1, "expected 'return'");
  expect_parse_error("def f(a: \"cpu f32[2]\"):\n   t0 = prims.neg(a)  # t0: \"cpu f32[2]\"\n  return (t0,)\n", 2, 4,
                     "unexpected indentation");
  expect_parse_error("def f(a: \"cpu f32[2]\"):\n  t0 = prims.neg(a)  # t0: \"cpu f32[2]\" @bogus\n  return (t0,)\n", 2, 41,
                     "unknown tag '@bogus'");
  expect_parse_error("def f(a: \"cpu f32[2]\"):\n  t0 = prims.neg(\"x\")  # t0: \"cpu f32[2]\"\n  return (t0,)\n", 2, 8,
                     "argument 'a' must be a tensor or a number");
  expect_parse_error("def f(a: \"cpu f32[2]\"):\n  t0 = prims.sum(a)  # t0: \"cpu f32[]\"\n  return (t0,)\n", 2, 8,
                     "missing required argument 'dims'");
}

}  // namespace
}  // namespace keraunos

namespace keraunos {
namespace {

TEST(Printer, FloatsPrintAsPythonRepr) {
  EXPECT_EQ(print_float(0.0001), "0.0001");
  EXPECT_EQ(print_float(1e6), "1000000.0");
  EXPECT_EQ(print_float(1e16), "1e+16");
  EXPECT_EQ(print_float(1.5e-5), "1.5e-05");
  EXPECT_EQ(print_float(-0.0), "-0.0");
  EXPECT_EQ(print_float(123.456), "123.456");
  EXPECT_EQ(print_float(1.2345678901234567e+300), "1.2345678901234567e+300");
  EXPECT_EQ(print_float(-std::nan("")), "-float('nan')");
}

}  // namespace
}  // namespace keraunos
