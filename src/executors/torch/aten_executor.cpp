// The ATen executor.
#include "executors/torch/aten_executor.h"

#include <mutex>

#include "executors/api/registry.h"
#include "executors/torch/kernel.h"
#include "ops/builtins.h"

namespace keraunos {

OperatorExecutor& aten_executor() {
  static OperatorExecutor* ex = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    ops::register_builtins();
    auto owned = std::make_shared<OperatorExecutor>("aten");
    aten::register_elementwise_kernels(*owned);
    aten::register_shape_kernels(*owned);
    aten::register_other_kernels(*owned);
    aten::register_torch_kernels(*owned);
    aten::register_torch_elementwise_kernels(*owned);
    aten::register_torch_shape_kernels(*owned);
    ex = owned.get();
    executor_registry().add(std::move(owned));
    executor_registry().add_always("aten");
  });
  return *ex;
}

}  // namespace keraunos
