// The verifier: definitions, argument counts, output metas, decompositions.
#include <gtest/gtest.h>

#include "ir/verifier.h"
#include "test_util.h"

namespace keraunos {
namespace {

using testing::parse;

std::string only_problem(Trace& t) {
  auto ps = verify_trace(t);
  EXPECT_EQ(ps.size(), 1u);
  return ps.empty() ? "" : ps[0];
}

TEST(Verifier, AcceptsValidTrace) {
  Trace t = parse(R"(def f(a: "cpu f32[2]"):
  t0 = torch.exp(a)  # t0: "cpu f32[2]"
    # t0 = prims.exp(a)  # t0: "cpu f32[2]"
  return (t0,)
)");
  EXPECT_TRUE(verify_trace(t).empty());
  EXPECT_NO_THROW(verify_or_throw(t));
}

TEST(Verifier, UseBeforeDefinitionNamesLineAndSymbol) {
  Trace t = parse(R"(def f(a: "cpu f32[2]"):
  t1 = prims.neg(t0)  # t1: "cpu f32[2]"
  t0 = prims.exp(a)  # t0: "cpu f32[2]"
  return (t1,)
)");
  std::string p = only_problem(t);
  EXPECT_NE(p.find("line 2"), std::string::npos) << p;
  EXPECT_NE(p.find("t1 = prims.neg(t0)"), std::string::npos) << p;
  EXPECT_NE(p.find("t0 is used before it is defined (at line 3)"), std::string::npos) << p;
}

TEST(Verifier, OutputTypeMustMatchMeta) {
  Trace t = parse(R"(def f(a: "cpu f32[2]"):
  t0 = prims.exp(a)  # t0: "cpu f64[2]"
  return (t0,)
)");
  std::string p = only_problem(t);
  EXPECT_NE(p.find("output t0 is \"cpu f64[2]\" but the meta function computes \"cpu f32[2]\""), std::string::npos) << p;
}

TEST(Verifier, MetaRejectionIsReported) {
  Trace t = parse(R"(def f(a: "cpu f32[2]", b: "cpu f32[3]"):
  t0 = prims.add(a, b)  # t0: "cpu f32[2]"
  return (t0,)
)");
  std::string p = only_problem(t);
  EXPECT_NE(p.find("meta function rejects"), std::string::npos) << p;
  EXPECT_NE(p.find("cpu f32[2]"), std::string::npos) << p;
  EXPECT_NE(p.find("cpu f32[3]"), std::string::npos) << p;
}

TEST(Verifier, DecompositionMustDefineParentOutputs) {
  Trace t = parse(R"(def f(a: "cpu f32[2]"):
  t0 = torch.exp(a)  # t0: "cpu f32[2]"
    # t5 = prims.exp(a)  # t5: "cpu f32[2]"
  return (t0,)
)");
  auto ps = verify_trace(t);
  ASSERT_FALSE(ps.empty());
  EXPECT_NE(ps[0].find("does not define its output t0"), std::string::npos) << ps[0];
}

TEST(Verifier, BuiltTracesReportPrintedLines) {
  Trace t = parse(R"(def f(a: "cpu f32[2]"):
  t0 = prims.exp(a)  # t0: "cpu f32[2]"
  t1 = prims.exp(t0)  # t1: "cpu f32[2]"
  return (t1,)
)");
  for (auto& b : t.bsyms) b.line = 0;  // as if built in code
  std::swap(t.bsyms[0], t.bsyms[1]);
  std::string p = only_problem(t);
  EXPECT_NE(p.find("line 2"), std::string::npos) << p;
  EXPECT_THROW(verify_or_throw(t, "after pass 'x'"), VerifyError);
}

TEST(Verifier, DefinedTwice) {
  Trace t = parse(R"(def f(a: "cpu f32[2]"):
  t0 = prims.exp(a)  # t0: "cpu f32[2]"
  t0 = prims.exp(a)
  return (t0,)
)");
  std::string p = only_problem(t);
  EXPECT_NE(p.find("t0 is defined twice (first at line 2)"), std::string::npos) << p;
}

}  // namespace
}  // namespace keraunos
