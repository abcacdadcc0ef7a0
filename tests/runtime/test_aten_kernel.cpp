// The ATen executor's kernels name the parameters they read: the names are matched against the op's
// signature once, when the kernel is claimed, and the op's arguments are bound in the kernel's order.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "executors/api/registry.h"
#include "executors/torch/kernel.h"
#include "keraunos/keraunos.h"

namespace keraunos {
namespace {

// Declared in an order unlike torch.sum's (a, dim, keepdim, dtype), and without dtype.
KERAUNOS_ATEN_KERNEL(reversed_sum, keepdim, dim, a) {
  k.out(f, 0, at::sum(k.T(f, a), k.Ints(f, dim), k.B(keepdim)) + 1);  // + 1: proof this kernel ran
}

TEST(AtenKernel, BindsArgumentsByNameInTheKernelsOrder) {
  init();
  auto ex = std::make_shared<OperatorExecutor>("named_kernels");
  aten::claim(*ex, "torch.sum", reversed_sum);
  executor_registry().add(ex);
  JitOptions o;
  o.executors = {"named_kernels"};
  auto f = jit(
      [](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{call1("torch.sum", {in[0], std::vector<int64_t>{1}}, {{"keepdim", true}})};
      },
      o);
  at::Tensor x = at::randn({3, 4});
  at::Tensor y = f({x})[0];
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{3, 1}));
  EXPECT_TRUE(at::allclose(y, at::sum(x, {1}, true) + 1)) << y;
  EXPECT_NE(f.placement().find("named_kernels"), std::string::npos) << f.placement();
}

void unused_kernel(const aten::AtenKernel&, ExecFrame&) {}

TEST(AtenKernel, AParameterTheOpLacksIsAnErrorWhenClaimed) {
  init();
  OperatorExecutor ex("misnamed_kernels");
  try {
    aten::claim(ex, "torch.sum", aten::KernelFn{unused_kernel, "a, dims"});
    FAIL() << "claimed a kernel that reads a parameter torch.sum does not have";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("torch.sum has no parameter 'dims' (its parameters: a, dim, keepdim, dtype)"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace keraunos
