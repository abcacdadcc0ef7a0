// The few CUDA driver API calls the CUDA fuser needs, through libcuda loaded at run time (keraunos
// builds and imports without a GPU driver). Module loading and launches work in the context that is
// current on the calling thread: the caller makes the device's primary context current first (torch's
// device guard does).
#pragma once

#include <string>

namespace keraunos::cuda_driver {

using Function = void*;  // CUfunction
using Stream = void*;    // CUstream (== cudaStream_t)

// Whether libcuda.so.1 loaded; `why_not` says why not.
bool available(std::string* why_not = nullptr);
// NVRTC's architecture for a device: "sm_90a" on compute capability 9.0 (Hopper's
// architecture-specific features), else "sm_<major><minor>".
std::string arch(int device);
int multiprocessor_count(int device);
// Loads a module from a cubin into the current context and returns its function `name`. Modules
// stay loaded for the process's life.
Function load(const std::string& cubin, const char* name);
// Launches `fn` with a one-dimensional grid on `stream`; `params` as cuLaunchKernel takes them.
void launch(Function fn, unsigned grid, unsigned block, Stream stream, void** params);

}  // namespace keraunos::cuda_driver
