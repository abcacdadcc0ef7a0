// Registers every built-in symbol into the global symbol table, once.
#include "ops/builtins.h"

#include <mutex>

#include "ir/recorder.h"
#include "ops/prims/prims.h"
#include "ops/torch/torch_ops.h"

namespace keraunos::ops {

const SymbolTable& register_builtins() {
  static std::once_flag once;
  std::call_once(once, [] {
    SymbolTable& t = global_symbols();
    register_elementwise_prims(t);
    register_shape_prims(t);
    register_reduction_prims(t);
    register_creation_prims(t);
    register_misc_prims(t);
    register_linalg_prims(t);
    register_indexing_prims(t);
    register_torch_elementwise(t);
    register_torch_activations(t);
    register_torch_shape_ops(t);
    register_torch_indexing_ops(t);
    register_torch_reduction_ops(t);
    register_torch_creation_ops(t);
    register_torch_linalg_ops(t);
    register_torch_nn_ops(t);
    register_torch_loss_ops(t);
  });
  return global_symbols();
}

}  // namespace keraunos::ops
