// The built-in executors, registered in one place: the always-executor (ATen, the fallback) and the
// default fusion executor. Each registration function adds its executor to the registry and, where
// it is a default, its place in the default priority list.
#include "executors/builtin.h"

#include <mutex>

#include "executors/fuser/fuser_executor.h"
#include "executors/torch/aten_executor.h"

namespace keraunos {

void register_builtin_executors() {
  static std::once_flag once;
  std::call_once(once, [] {
    aten_executor();        // always last: every prim and torch-level op
    cpu_fuser();            // the CPU fusion executor (KERAUNOS_DISABLE_FUSER=1 leaves it out of the defaults)
    register_cuda_fuser();  // CUDA regions, on request: executors=["fuser_cuda"]
  });
}

}  // namespace keraunos
