// The runtime end to end through the C++ API: results against ATen, the plan cache, slot release.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "executors/api/registry.h"
#include "executors/torch/aten_executor.h"
#include "keraunos/keraunos.h"
#include "runtime/compiled_function.h"
#include "runtime/host_allocator.h"
#include "runtime/plan.h"

namespace keraunos {
namespace {

TEST(Runtime, ElementwiseChainMatchesAten) {
  auto f = jit([](const std::vector<Tensor>& in) {
    Tensor h = ops::add(in[0], in[1]);
    Tensor g = ops::gelu(h, "tanh");
    return std::vector<Tensor>{ops::softmax(g * 2.0, -1), ops::exp(in[1])};
  });
  at::Tensor x = at::randn({4, 8}), b = at::randn({8});
  auto out = f({x, b});
  ASSERT_EQ(out.size(), 2u);
  at::Tensor want = at::softmax(at::gelu(x + b, "tanh") * 2.0, -1);
  EXPECT_TRUE(at::allclose(out[0], want, 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(out[1], at::exp(b)));
}

TEST(Runtime, CacheHitsMissesAndSignatures) {
  auto f = jit([](const std::vector<Tensor>& in) { return std::vector<Tensor>{ops::mul(in[0], in[0])}; });
  f({at::randn({2, 3})});
  f({at::randn({2, 3})});
  EXPECT_EQ(f.cache_info().misses, 1u);
  EXPECT_EQ(f.cache_info().hits, 1u);
  f({at::randn({5, 3})});               // new size: a new plan
  f({at::randn({2, 3}, at::kDouble)});  // new dtype
  f({at::randn({3, 2}).t()});           // same sizes, not contiguous
  EXPECT_EQ(f.cache_info().misses, 4u);
  EXPECT_EQ(f.cache_info().plans, 4u);
  auto out = f({at::randn({3, 2}).t()});
  EXPECT_EQ(f.cache_info().hits, 2u);
  EXPECT_GE(f.cache_info().pass_ms.count("dispatch"), 1u);
  EXPECT_GT(f.cache_info().trace_ms + f.cache_info().passes_ms, 0.0);
}

TEST(Runtime, DynamicShapesReusePlanAcrossBatchSizes) {
  JitOptions o;
  o.dynamic_shapes = true;
  auto f = jit([](const std::vector<Tensor>& in) { return std::vector<Tensor>{ops::softmax(ops::add(in[0], in[1]), -1)}; }, o);
  at::Tensor b = at::randn({16});
  for (int64_t batch : {2, 7, 31}) {
    at::Tensor x = at::randn({batch, 16});
    auto out = f({x, b});
    EXPECT_TRUE(at::allclose(out[0], at::softmax(x + b, -1), 1e-5, 1e-6)) << batch;
  }
  EXPECT_EQ(f.cache_info().misses, 1u);
  EXPECT_EQ(f.cache_info().hits, 2u);
  f({at::randn({16, 16}), b});  // the batch now equals the feature size: a different class
  EXPECT_EQ(f.cache_info().misses, 2u);
  f({at::randn({1, 16}), b});  // size 1 broadcasts differently: a different class
  EXPECT_EQ(f.cache_info().misses, 3u);
}

TEST(Runtime, LastTracesAndPlacement) {
  auto f = jit([](const std::vector<Tensor>& in) { return std::vector<Tensor>{ops::relu(ops::exp(in[0]))}; });
  f({at::randn({3})});
  auto traces = f.last_traces();
  ASSERT_GE(traces.size(), 4u);
  EXPECT_EQ(traces.front().first, "initial");
  EXPECT_NE(traces.front().second.find("torch.exp(x0)"), std::string::npos) << traces.front().second;
  bool saw_dispatch = false;
  for (const auto& [name, text] : traces)
    if (name == "dispatch") {
      saw_dispatch = true;
      EXPECT_NE(text.find("prims.exp"), std::string::npos) << text;  // marked for the fuser, not yet fused
    }
  EXPECT_TRUE(saw_dispatch);
  EXPECT_NE(f.placement().find("torch.exp"), std::string::npos) << f.placement();
  EXPECT_NE(f.placement_summary().find("fuser:"), std::string::npos) << f.placement_summary();
  EXPECT_NE(traces.back().second.find("fuser.region(x0)"), std::string::npos) << traces.back().second;
}

TEST(Runtime, WrongInputsGiveClearErrors) {
  auto f = jit([](const std::vector<Tensor>& in) { return std::vector<Tensor>{ops::add(in[0], in[1])}; });
  try {
    f({at::randn({2, 3}), at::randn({4, 3})});
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("cannot be broadcast"), std::string::npos) << e.what();
  }
}

// Slots are released after their last use: a probe kernel watches an intermediate's storage.
struct Probe {
  static inline c10::weak_intrusive_ptr<c10::StorageImpl> watched{c10::intrusive_ptr<c10::StorageImpl>()};
  static inline bool alive_at_check = true;
};

TEST(Runtime, IntermediatesAreFreedAfterLastUse) {
  init();
  auto ex = std::make_shared<OperatorExecutor>("probe");
  struct Watch final : Kernel {
    int32_t in, out;
    void run(ExecFrame& f) const override {
      Probe::watched = c10::weak_intrusive_ptr<c10::StorageImpl>(f.tensors[static_cast<size_t>(in)].storage().getWeakStorageImpl());
      f.tensors[static_cast<size_t>(out)] = f.tensors[static_cast<size_t>(in)] * 1;
    }
  };
  struct Check final : Kernel {
    int32_t in, out;
    void run(ExecFrame& f) const override {
      Probe::alive_at_check = !Probe::watched.expired();
      f.tensors[static_cast<size_t>(out)] = f.tensors[static_cast<size_t>(in)].clone();
    }
  };
  const Symbol& neg = global_symbols().get("prims.neg");
  const Symbol* watch =
      ex->register_operator("watch", neg, [](const BoundSymbol& b, const Trace&, const SlotMap& s) -> std::unique_ptr<Kernel> {
        auto k = std::make_unique<Watch>();
        k->in = s[b.args[0].as_proxy()];
        k->out = s[b.outputs[0]];
        return k;
      });
  const Symbol* check =
      ex->register_operator("check", neg, [](const BoundSymbol& b, const Trace&, const SlotMap& s) -> std::unique_ptr<Kernel> {
        auto k = std::make_unique<Check>();
        k->in = s[b.args[0].as_proxy()];
        k->out = s[b.outputs[0]];
        return k;
      });
  ex->register_implementation("torch.neg", watch);
  ex->register_implementation("torch.sin", check);
  executor_registry().add(ex);
  JitOptions o;
  o.executors = {"probe"};
  auto f = jit(
      [](const std::vector<Tensor>& in) {
        Tensor t = ops::exp(in[0]);          // the intermediate whose storage is watched
        Tensor u = call1("torch.neg", {t});  // last use of t
        return std::vector<Tensor>{call1("torch.sin", {u})};
      },
      o);
  f({at::randn({1000})});
  EXPECT_FALSE(Probe::alive_at_check) << "the intermediate should be freed right after its last use";
}

TEST(Runtime, PlanRunsNumbersAndLiterals) {
  init();
  CompileOptions co;
  co.cache = CacheMode::SymbolicValues;
  CompiledFunction f(
      [](Recorder& r, const std::vector<Value>& in) {
        Value y = r.call1("torch.mul", {in[0], in[1]});
        return std::vector<Value>{y, in[1], Value::integer(7), Value::none()};
      },
      co);
  auto out = f({c10::IValue(at::ones({2})), c10::IValue(2.5)});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(at::allclose(out[0].toTensor(), at::full({2}, 2.5)));
  EXPECT_EQ(out[1].toDouble(), 2.5);
  EXPECT_EQ(out[2].toInt(), 7);
  EXPECT_TRUE(out[3].isNone());
  f({c10::IValue(at::ones({2})), c10::IValue(4.0)});  // numbers by type: no new plan
  EXPECT_EQ(f.cache_info().misses, 1u);
}

TEST(HostAllocator, FreedLargeBlocksComeBackWithoutNewMappings) {
  set_host_pool_limit(uint64_t{256} << 20);
  release_host_pool();
  auto before = host_pool_stats();
  void* first = nullptr;
  {
    at::Tensor a = host_empty({1024, 1024}, at::kFloat);  // 4 MiB: from the pool's side
    first = a.data_ptr();
    EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % (2u << 20), 0u);  // huge-page aligned
    a.fill_(1.0f);
    EXPECT_EQ(host_pool_stats().live_bytes, before.live_bytes + (4u << 20));
  }
  EXPECT_EQ(host_pool_stats().cached_bytes, uint64_t{4} << 20);
  at::Tensor b = host_empty({2048, 512}, at::kFloat);  // the same rounded size: the same block
  EXPECT_EQ(b.data_ptr(), first);
  auto after = host_pool_stats();
  EXPECT_EQ(after.hits, before.hits + 1);
  EXPECT_EQ(after.misses, before.misses + 1);
  EXPECT_EQ(after.cached_bytes, 0u);
  // Small tensors are not the pool's: no hit or miss is counted.
  at::Tensor small = host_empty({16}, at::kFloat);
  EXPECT_EQ(host_pool_stats().misses, after.misses);
  // Resizing works as for any CPU tensor (the storage keeps the allocator).
  b.resize_({4096, 1024});
  b.fill_(2.0f);
  EXPECT_EQ(b.sum().item<float>(), 2.0f * 4096 * 1024);
}

TEST(HostAllocator, TheLimitBoundsWhatThePoolKeeps) {
  release_host_pool();
  set_host_pool_limit(0);
  { at::Tensor a = host_empty({1 << 20}, at::kFloat); }
  EXPECT_EQ(host_pool_stats().cached_bytes, 0u);
  set_host_pool_limit(uint64_t{64} << 20);
  { at::Tensor a = host_empty({1 << 20}, at::kFloat); }
  EXPECT_EQ(host_pool_stats().cached_bytes, uint64_t{4} << 20);
  release_host_pool();
  EXPECT_EQ(host_pool_stats().cached_bytes, 0u);
  set_host_pool_limit(uint64_t{2048} << 20);
}

}  // namespace
}  // namespace keraunos
