// Compiling generated C++ into shared objects with the host compiler, and a kernel cache in memory
// and on disk ($KERAUNOS_CACHE_DIR, default ~/.cache/keraunos). Loaded modules are never closed:
// OpenMP runtimes crash on unload.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/error.h"

namespace keraunos::jit_compiler {

// What a cache key covers; it can print itself, and explain how two keys differ.
struct CacheKey {
  std::string compiler;          // path
  std::string compiler_version;  // first line of --version
  std::vector<std::string> flags;
  uint64_t source_hash = 0;
  // What the flags mean on this machine: `-march=native` expanded by the compiler (the target and
  // its -m feature flags), so a cache shared between machines (an NFS home) never loads a kernel
  // built for instructions this CPU lacks.
  std::string target;
  uint64_t hash() const;
  std::string hex() const;
  std::string describe() const;
  std::string diff(const CacheKey& other) const;
};

class CompileError : public Error {
 public:
  CompileError(const std::string& what, std::string log) : Error(what), log_(std::move(log)) {}
  const std::string& log() const { return log_; }

 private:
  std::string log_;
};

// The host compiler cannot build kernels that run next to torch (not found, failing, or linking a
// private C++ runtime). The message names the compiler and the fix.
class HostCompilerError : public Error {
 public:
  using Error::Error;
};

struct CompiledModule {
  void* symbol = nullptr;  // the requested function
  bool from_disk = false;  // loaded from the disk cache rather than compiled now
  CacheKey key;
  std::string path;  // the shared object
};

std::string cache_dir();
// The compiler and flags used for generated kernels: -O3 -march=native -fopenmp -shared -fPIC ...
// The compiler is $KERAUNOS_CXX, else the one that built keraunos (where it exists), else `c++`.
const std::string& compiler_path();
const std::string& compiler_version();
// The -march kernels are built for: $KERAUNOS_CPU_ARCH (x86-64-v3, skylake-avx512, ...), else
// native. A named target builds kernels for machines older than this one (a cache shared between
// them), and tests the AVX2 and SSE paths of the kernels' support code on an AVX-512 machine.
const std::string& cpu_arch();
// What -march=<cpu_arch()> means here (the compiler's expansion), part of every cache key.
const std::string& native_target();
std::vector<std::string> default_flags();

// Once per process: builds a probe with the host compiler and the kernels' flags, loads it next to
// torch and runs it, checking that it shares this process's C++ runtime. Throws HostCompilerError
// (every time, once it has failed) when the compiler cannot be used.
void validate_host_compiler();

// Returns the function `symbol` from `source`, compiling it unless the memory or disk cache has it.
// Validates the host compiler first.
// A corrupt or truncated cache entry is detected (size and hash recorded beside it) and rebuilt.
// Throws CompileError with the compiler's output on failure.
CompiledModule compile_and_load(const std::string& source, const std::string& symbol);

struct CacheStats {
  uint64_t memory_hits = 0, disk_hits = 0, compiles = 0, rebuilt_corrupt = 0;
};
CacheStats cache_stats();

}  // namespace keraunos::jit_compiler
