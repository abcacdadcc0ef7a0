// Dispatch, the placement report, the registry and the partitioner, with fake executors.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "executors/api/dispatch.h"
#include "executors/api/registry.h"
#include "ir/verifier.h"
#include "passes/partition.h"
#include "test_util.h"

namespace keraunos {
namespace {

using testing::parse;

std::unique_ptr<Kernel> no_kernel(const BoundSymbol&, const Trace&, const SlotMap&) { throw Error("not run"); }

class SetFuser : public FusionExecutor {
 public:
  SetFuser(std::string name, std::set<std::string> ops) : FusionExecutor(std::move(name)), ops_(std::move(ops)) {}
  Decision can_fuse(const BoundSymbol& b, const Trace&) const override {
    return ops_.count(b.sym->id) ? Decision::yes() : Decision::no("not in my set");
  }
  std::unique_ptr<Kernel> compile(const BoundSymbol&, const Trace&, const SlotMap&) const override { throw Error("not run"); }

 private:
  std::set<std::string> ops_;
};

TEST(Dispatch, PlacementReportListsEveryDecisionAndReason) {
  ops::register_builtins();
  auto fuser = std::make_shared<SetFuser>("pr_fuser", std::set<std::string>{"prims.exp", "prims.add"});
  auto ops = std::make_shared<OperatorExecutor>("pr_ops");
  const Symbol* neg = ops->register_operator("neg", global_symbols().get("prims.neg"), no_kernel);
  ops->register_implementation("prims.neg", neg, [](const BoundSymbol& b, const Trace& t) {
    return t.type(b.outputs[0]).tensor.dtype == DType::Float32 ? Decision::yes() : Decision::no("only float32");
  });
  Trace t = parse(R"(def f(a: "cpu f32[4]", h: "cpu f16[4]"):
  t0 = torch.exp(a)  # t0: "cpu f32[4]"
  t1 = prims.neg(t0)  # t1: "cpu f32[4]"
  t2 = prims.neg(h)  # t2: "cpu f16[4]"
  return (t1, t2)
)");
  PlacementReport rep;
  std::vector<const Executor*> order{fuser.get(), ops.get()};
  EXPECT_THROW(dispatch(t, order, &rep), DispatchError);  // the f16 neg has no taker
  ASSERT_EQ(rep.entries.size(), 3u);
  EXPECT_EQ(rep.entries[0].op, "torch.exp");
  EXPECT_EQ(rep.entries[0].executor, "decomposed");
  EXPECT_EQ(rep.entries[1].op, "prims.exp");
  EXPECT_EQ(rep.entries[1].executor, "pr_fuser");
  EXPECT_TRUE(rep.entries[1].fused);
  EXPECT_EQ(rep.entries[2].executor, "pr_ops");
  ASSERT_EQ(rep.entries[2].declined.size(), 1u);
  EXPECT_EQ(rep.entries[2].declined[0], (std::pair<std::string, std::string>{"pr_fuser", "not in my set"}));
  std::string table = rep.table();
  EXPECT_NE(table.find("prims.neg"), std::string::npos) << table;
  EXPECT_NE(table.find("pr_fuser: not in my set"), std::string::npos) << table;
  EXPECT_EQ(rep.counts().at("pr_ops"), 1u);
  EXPECT_NE(rep.summary().find("(1 decomposed)"), std::string::npos) << rep.summary();

  try {
    Trace t2 = parse(R"(def f(h: "cpu f16[4]"):
  t2 = prims.neg(h)  # t2: "cpu f16[4]"
  return (t2,)
)");
    dispatch(t2, order, nullptr);
    FAIL();
  } catch (const DispatchError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("no executor can run prims.neg"), std::string::npos) << m;
    EXPECT_NE(m.find("pr_ops: only float32"), std::string::npos) << m;
  }
}

TEST(Dispatch, ExecutionTransformReplacesAndRenames) {
  ops::register_builtins();
  auto ex = std::make_shared<OperatorExecutor>("xf_ops");
  const Symbol* mul = ex->register_operator("mul", global_symbols().get("prims.mul"), no_kernel);
  // exp(a) as the executor sees it: rewritten to a multiplication by itself (nonsense, but visible).
  ex->register_implementation("prims.exp", nullptr, {}, [mul](Recorder& r, const BoundSymbol& b) {
    return r.call(*mul, {b.args[0], b.args[0]});
  });
  Trace t = parse(R"(def f(a: "cpu f32[4]"):
  t0 = prims.exp(a)  # t0: "cpu f32[4]" @backward
  return (t0,)
)");
  dispatch(t, {ex.get()}, nullptr);
  ASSERT_EQ(t.bsyms.size(), 1u);
  EXPECT_EQ(print_bsym(t, t.bsyms[0]), "t0 = xf_ops.mul(a, a)  # t0: \"cpu f32[4]\" @backward");
  EXPECT_TRUE(verify_trace(t).empty());
}

TEST(Registry, OrderedDefaultsAndAlwaysLast) {
  ExecutorRegistry reg;
  auto a = std::make_shared<OperatorExecutor>("reg_a");
  auto b = std::make_shared<OperatorExecutor>("reg_b");
  auto z = std::make_shared<OperatorExecutor>("reg_always");
  reg.add(a);
  reg.add(b);
  reg.add(z);
  EXPECT_THROW(reg.add(std::make_shared<OperatorExecutor>("reg_a")), Error);
  reg.set_defaults({"reg_b"});
  reg.add_default("reg_a", 0);
  reg.add_always("reg_always");
  auto order = reg.resolve({});
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0]->name(), "reg_a");
  EXPECT_EQ(order[1]->name(), "reg_b");
  EXPECT_EQ(order[2]->name(), "reg_always");
  auto only_b = reg.resolve({"reg_b"});
  ASSERT_EQ(only_b.size(), 2u);
  EXPECT_EQ(only_b[1]->name(), "reg_always");
  try {
    reg.get("nope");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("registered: reg_a, reg_b, reg_always"), std::string::npos) << e.what();
  }
}

// A transformer-ish layer: fusible elementwise between unfusible matmul-like ops (prims.sin here).
std::string layered_trace(int layers) {
  std::string s = "def f(x: \"cpu f32[8]\"):\n";
  std::string cur = "x";
  int n = 0;
  auto v = [&] { return "t" + std::to_string(n++); };
  for (int l = 0; l < layers; ++l) {
    std::string a = v(), b = v(), c = v(), d = v(), e = v();
    s += "  " + a + " = prims.sin(" + cur + ")  # " + a + ": \"cpu f32[8]\"\n";
    s += "  " + b + " = prims.exp(" + a + ")  # " + b + ": \"cpu f32[8]\"\n";
    s += "  " + c + " = prims.mul(" + b + ", " + cur + ")  # " + c + ": \"cpu f32[8]\"\n";
    s += "  " + d + " = prims.cos(" + c + ")  # " + d + ": \"cpu f32[8]\"\n";
    s += "  " + e + " = prims.add(" + d + ", " + c + ")  # " + e + ": \"cpu f32[8]\"\n";
    cur = e;
  }
  return s + "  return (" + cur + ",)\n";
}

bool fusible(const BoundSymbol& b) { return b.sym->id != "prims.sin" && b.sym->id != "prims.cos"; }

TEST(Partition, RepeatedLayersGiveIdenticalRegions) {
  Trace t = parse(layered_trace(4));
  auto groups = partition(t, fusible, PartitionMode::Dataflow);
  // Per layer: sin | exp,mul | cos | add
  ASSERT_EQ(groups.size(), 16u);
  for (int l = 0; l < 4; ++l) {
    size_t base = static_cast<size_t>(l) * 5;
    EXPECT_EQ(groups[static_cast<size_t>(l) * 4 + 1], (std::vector<size_t>{base + 1, base + 2}));
    EXPECT_EQ(groups[static_cast<size_t>(l) * 4 + 3], (std::vector<size_t>{base + 4}));
  }
  Region r0 = make_region(t, groups[1]);
  Region r3 = make_region(t, groups[13]);
  EXPECT_EQ(r0.inputs.size(), r3.inputs.size());
  EXPECT_EQ(r0.outputs.size(), r3.outputs.size());
}

// Property: on random DAGs the groups, in the returned order, respect every dependency (no cycle),
// keep forward and backward apart, and are deterministic.
TEST(Partition, RandomDagsNeverCreateCycles) {
  std::mt19937 rng(1234);
  const char* unary[] = {"prims.exp", "prims.sin", "prims.neg", "prims.cos"};
  for (int round = 0; round < 50; ++round) {
    std::string s = "def f(x: \"cpu f32[4]\", y: \"cpu f32[4]\"):\n";
    std::vector<std::string> vals{"x", "y"};
    int n = 30 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      std::string out = "t" + std::to_string(i);
      std::string tag = (i > n / 2 && rng() % 3 == 0) ? " @backward" : "";
      if (rng() % 2) {
        s += "  " + out + " = " + unary[rng() % 4] + "(" + vals[rng() % vals.size()] + ")  # " + out + ": \"cpu f32[4]\"" + tag + "\n";
      } else {
        s += "  " + out + " = prims.add(" + vals[rng() % vals.size()] + ", " + vals[rng() % vals.size()] + ")  # " + out +
             ": \"cpu f32[4]\"" + tag + "\n";
      }
      vals.push_back(out);
    }
    s += "  return (" + vals.back() + ",)\n";
    Trace t = parse(s);
    auto sel = [](const BoundSymbol& b) { return b.sym->id != "prims.sin"; };
    auto groups = partition(t, sel, PartitionMode::Dataflow);
    EXPECT_EQ(groups, partition(t, sel, PartitionMode::Dataflow));
    std::vector<int> group_pos(t.bsyms.size(), -1);
    size_t total = 0;
    for (size_t g = 0; g < groups.size(); ++g) {
      bool bw = t.bsyms[groups[g][0]].has_tag(kBsymBackward);
      for (size_t i : groups[g]) {
        group_pos[i] = static_cast<int>(g);
        EXPECT_EQ(t.bsyms[i].has_tag(kBsymBackward), bw);
        ++total;
      }
    }
    EXPECT_EQ(total, t.bsyms.size());
    // Every producer's group comes no later than its consumer's group.
    std::map<ProxyId, size_t> producer;
    for (size_t i = 0; i < t.bsyms.size(); ++i) producer[t.bsyms[i].outputs[0]] = i;
    for (size_t i = 0; i < t.bsyms.size(); ++i)
      t.bsyms[i].for_each_input([&](ProxyId p) {
        if (producer.count(p)) {
          EXPECT_LE(group_pos[producer[p]], group_pos[i]);
        }
      });
  }
}

}  // namespace
}  // namespace keraunos
