// ATen kernels for torch-level ops that ATen implements directly (claimed whole, not decomposed).
#include "executors/torch/kernel.h"

namespace keraunos::aten {

void register_torch_kernels(OperatorExecutor& ex) { (void)ex; }

}  // namespace keraunos::aten
