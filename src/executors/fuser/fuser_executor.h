// The CPU fusion executor ("fuser"): claims elementwise, broadcast, conversion, shape and reduction
// prims (and composites made only of them), partitions them into regions, and compiles each region
// into one generated C++ kernel with OpenMP.
#pragma once

#include "executors/api/executor.h"

namespace keraunos {

// Registers the fuser (once) with the executor registry, first among the defaults unless
// KERAUNOS_DISABLE_FUSER=1.
FusionExecutor& cpu_fuser();
// Registers the CUDA fuser ("fuser_cuda"; not a default yet) where keraunos was built with it (the
// CUDA toolkit and torch's CUDA libraries found); nothing otherwise.
void register_cuda_fuser();

}  // namespace keraunos
