// DCE and CSE on programmatically built traces.
#include <gtest/gtest.h>

#include "passes/cse.h"
#include "passes/dce.h"
#include "test_util.h"

namespace keraunos {
namespace {

using testing::parse;

TEST(Dce, RemovesDeadKeepsEffects) {
  Trace t = parse(R"(def f(a: "cpu f32[2]"):
  t0 = prims.exp(a)  # t0: "cpu f32[2]"
  t1 = prims.neg(t0)  # t1: "cpu f32[2]"
  t2 = prims.sin(a)  # t2: "cpu f32[2]"
  prims.print(t2)
  t3 = prims.cos(a)  # t3: "cpu f32[2]" @dont_dce
  return (a,)
)");
  EXPECT_EQ(dce(t), 2u);
  ASSERT_EQ(t.bsyms.size(), 3u);
  EXPECT_EQ(t.bsyms[0].sym->id, "prims.sin");
  EXPECT_EQ(t.bsyms[1].sym->id, "prims.print");
  EXPECT_EQ(t.bsyms[2].sym->id, "prims.cos");
}

TEST(Dce, KeepsProducersOfSymbolicSizes) {
  Trace t = parse(R"(def f(a: "cpu f32[2]", b: "cpu i64[]"):
  n0 = prims.item(b)  # n0: "int"
  t0 = prims.full((n0,), 1.0)  # t0: "cpu f32[n0]"
  return (t0,)
)");
  EXPECT_EQ(dce(t), 0u);
}

TEST(Cse, MergesAndRenamesIncludingSubsymbols) {
  Trace t = parse(R"(def f(a: "cpu f32[2]"):
  t0 = prims.exp(a)  # t0: "cpu f32[2]"
  t1 = prims.exp(a)  # t1: "cpu f32[2]"
  t2 = torch.neg(t1)  # t2: "cpu f32[2]"
    # t2 = prims.neg(t1)  # t2: "cpu f32[2]"
  return (t0, t2)
)");
  EXPECT_EQ(cse(t), 1u);
  ASSERT_EQ(t.bsyms.size(), 2u);
  EXPECT_EQ(print_bsym(t, t.bsyms[1], 0, -1), "t2 = torch.neg(t0)  # t2: \"cpu f32[2]\"\n    # t2 = prims.neg(t0)  # t2: \"cpu f32[2]\"");
}

TEST(Cse, NeverMergesRandomNonFunctionalOrBackwardMix) {
  Trace t = parse(R"(def f(a: "cpu f32[2]"):
  t0 = prims.uniform_philox((2,), 0, 0)  # t0: "cpu f32[2]"
  t1 = prims.uniform_philox((2,), 0, 0)  # t1: "cpu f32[2]"
  t2 = prims.empty((2,))  # t2: "cpu f32[2]"
  t3 = prims.empty((2,))  # t3: "cpu f32[2]"
  t4 = prims.exp(a)  # t4: "cpu f32[2]"
  t5 = prims.exp(a)  # t5: "cpu f32[2]" @backward
  return (t0, t1, t2, t3, t4, t5)
)");
  EXPECT_EQ(cse(t), 0u);
  EXPECT_EQ(t.bsyms.size(), 6u);
}

TEST(Cse, CascadesThroughDependents) {
  Trace t = parse(R"(def f(a: "cpu f32[2]"):
  t0 = prims.exp(a)  # t0: "cpu f32[2]"
  t1 = prims.exp(a)  # t1: "cpu f32[2]"
  t2 = prims.neg(t0)  # t2: "cpu f32[2]"
  t3 = prims.neg(t1)  # t3: "cpu f32[2]"
  t4 = prims.add(t2, t3)  # t4: "cpu f32[2]"
  return (t4,)
)");
  EXPECT_EQ(cse(t), 2u);
  EXPECT_EQ(print_bsym(t, t.bsyms[2]), "t4 = prims.add(t2, t2)  # t4: \"cpu f32[2]\"");
}

}  // namespace
}  // namespace keraunos
