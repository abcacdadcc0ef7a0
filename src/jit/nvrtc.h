// Compiling generated CUDA C++ to a GPU binary with NVRTC, and a cache of binaries in memory and on
// disk ($KERAUNOS_CACHE_DIR/cuda/). NVRTC is loaded at run time (libnvrtc from the CUDA toolkit or
// the nvidia-cuda-nvrtc wheel torch depends on), so keraunos builds and runs without it; NVRTC runs
// on the CPU, so kernels compile (and CI checks them) on a machine without a GPU.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jit/host_compiler.h"

namespace keraunos::nvrtc {

// Whether libnvrtc could be loaded; `why_not` says where it was looked for when not.
bool available(std::string* why_not = nullptr);
// "13.0" (NVRTC's major.minor), or "" when not available.
std::string version();

struct Binary {
  std::string cubin;  // the device code for one architecture (cuModuleLoadData takes it)
  std::string log;    // NVRTC's warnings
  std::string key;    // SHA-256 of source, options, architecture and NVRTC version
  bool from_cache = false;
};

// Compiles `source` for `arch` ("sm_90a"), with `options` after the architecture and -std=c++17.
// Cached by key in memory and on disk. Throws jit_compiler::CompileError with NVRTC's log when the
// source does not compile, and keraunos::Error when NVRTC is not available.
Binary compile(const std::string& source, const std::string& arch, const std::vector<std::string>& options = {});

}  // namespace keraunos::nvrtc
