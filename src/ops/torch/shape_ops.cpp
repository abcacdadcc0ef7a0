// Torch-level shape and view ops.
#include "ops/meta_utils.h"
#include "ops/prims/prims.h"
#include "ops/torch/promotion.h"
#include "ops/torch/torch_ops.h"

namespace keraunos::ops {

void register_torch_shape_ops(SymbolTable& table) { (void)table; }

}  // namespace keraunos::ops
