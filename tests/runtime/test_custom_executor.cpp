// The extension system from a test file alone: a custom executor that claims an existing op, and a
// custom op with its own meta and kernel, used in a compiled program.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "executors/api/registry.h"
#include "keraunos/keraunos.h"
#include "ops/meta_utils.h"
#include "runtime/frame.h"

namespace keraunos {
namespace {

// fused_scale_shift(x, scale, shift) = x * scale + shift, one kernel.
class ScaleShift final : public Kernel {
 public:
  int32_t x, out;
  double scale, shift;
  void run(ExecFrame& f) const override {
    f.tensors[static_cast<size_t>(out)] = at::add(at::mul(f.tensors[static_cast<size_t>(x)], scale), shift);
  }
};

TEST(CustomExecutor, RegistersOwnOpAndClaimsExisting) {
  init();
  auto ex = std::make_shared<OperatorExecutor>("mylib");
  // A new op: mylib.scale_shift(x, scale, shift).
  const Symbol* op = ex->register_operator(
      "scale_shift", {ops::P("x", ParamKind::Tensor), ops::P("scale", ParamKind::Float), ops::P("shift", ParamKind::Float)},
      [](const MetaArgs& m) {
        TensorType t = m.tensor(0);
        KERAUNOS_TYPE_CHECK(is_floating(t.dtype), "mylib.scale_shift: expected a floating tensor, got ", ops::type_str(m.trace(), t));
        return ops::one(t);
      },
      [](const BoundSymbol& b, const Trace&, const SlotMap& s) -> std::unique_ptr<Kernel> {
        auto k = std::make_unique<ScaleShift>();
        k->x = s[b.args[0].as_proxy()];
        k->out = s[b.outputs[0]];
        k->scale = b.args[1].as_float();
        k->shift = b.args[2].as_float();
        return k;
      });
  // Claim torch.exp too, only for float64 (the checker's reason shows in the placement report).
  ex->register_implementation(
      "torch.exp", nullptr,
      [](const BoundSymbol& b, const Trace& t) {
        return t.type(b.args[0].as_proxy()).tensor.dtype == DType::Float64 ? Decision::yes() : Decision::no("float64 only");
      },
      [op](Recorder& r, const BoundSymbol& b) {
        // exp(x) ~ a silly but checkable rewrite: 1 + x (tests the transform path)
        return r.call(*op, {b.args[0], Value::floating(1.0), Value::floating(1.0)});
      });
  executor_registry().add(ex);

  JitOptions o;
  o.executors = {"mylib"};
  auto f = jit(
      [](const std::vector<Tensor>& in) {
        Tensor y = call1("mylib.scale_shift", {in[0], 3.0, 0.5});
        return std::vector<Tensor>{y, ops::exp(in[1])};
      },
      o);
  at::Tensor x = at::randn({5}), d = at::randn({4}, at::kDouble);
  auto out = f({x, d});
  EXPECT_TRUE(at::allclose(out[0], x * 3.0 + 0.5));
  EXPECT_TRUE(at::allclose(out[1], d + 1.0));  // the transform's rewrite ran
  EXPECT_NE(f.placement().find("mylib"), std::string::npos) << f.placement();

  auto g = jit([](const std::vector<Tensor>& in) { return std::vector<Tensor>{ops::exp(in[0])}; }, o);
  at::Tensor x32 = at::randn({4});
  EXPECT_TRUE(at::allclose(g({x32})[0], at::exp(x32)));  // float32: mylib says no, aten runs it
  EXPECT_NE(g.placement().find("mylib: float64 only"), std::string::npos) << g.placement();

  auto bad = jit([](const std::vector<Tensor>& in) { return std::vector<Tensor>{call1("mylib.scale_shift", {in[0], 1.0, 1.0})}; }, o);
  try {
    bad({at::ones({2}, at::kInt)});
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("mylib.scale_shift: expected a floating tensor, got cpu i32[2]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace keraunos
