#include "jit/nvrtc.h"

#include <dlfcn.h>

#include <mutex>
#include <unordered_map>

#include "support/env.h"
#include "support/files.h"
#include "support/sha256.h"

namespace keraunos::nvrtc {
namespace {

// The few entry points used, declared here (the C API is stable across CUDA versions).
using Program = void*;
struct Api {
  int (*version)(int*, int*) = nullptr;
  int (*create)(Program*, const char*, const char*, int, const char* const*, const char* const*) = nullptr;
  int (*compile)(Program, int, const char* const*) = nullptr;
  int (*log_size)(Program, size_t*) = nullptr;
  int (*log)(Program, char*) = nullptr;
  int (*cubin_size)(Program, size_t*) = nullptr;
  int (*cubin)(Program, char*) = nullptr;
  int (*destroy)(Program*) = nullptr;
  const char* (*error_string)(int) = nullptr;
  std::string why_not;
  int major = 0, minor = 0;
};

// libnvrtc: $KERAUNOS_NVRTC, then the names the loader finds (torch's wheel dependency is often
// loaded already), then the toolkit under $CUDA_HOME or /usr/local/cuda.
const Api& api() {
  static const Api a = [] {
    Api a;
    std::vector<std::string> names;
    if (auto e = env_string("KERAUNOS_NVRTC"); e && !e->empty()) names.push_back(*e);
    for (const char* n : {"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"}) names.emplace_back(n);
    for (const std::string& root : {env_string("CUDA_HOME").value_or(""), std::string("/usr/local/cuda")})
      if (!root.empty()) names.push_back(root + "/lib64/libnvrtc.so");
    void* h = nullptr;
    for (const auto& n : names)
      if ((h = dlopen(n.c_str(), RTLD_NOW | RTLD_LOCAL)) != nullptr) break;
    if (h == nullptr) {
      a.why_not =
          "libnvrtc not found (tried $KERAUNOS_NVRTC, libnvrtc.so.13, libnvrtc.so.12, libnvrtc.so, $CUDA_HOME/lib64, "
          "/usr/local/cuda/lib64)";
      return a;
    }
    auto sym = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(h, name));
      if (fn == nullptr && a.why_not.empty()) a.why_not = std::string("libnvrtc lacks ") + name;
    };
    sym(a.version, "nvrtcVersion");
    sym(a.create, "nvrtcCreateProgram");
    sym(a.compile, "nvrtcCompileProgram");
    sym(a.log_size, "nvrtcGetProgramLogSize");
    sym(a.log, "nvrtcGetProgramLog");
    sym(a.cubin_size, "nvrtcGetCUBINSize");
    sym(a.cubin, "nvrtcGetCUBIN");
    sym(a.destroy, "nvrtcDestroyProgram");
    sym(a.error_string, "nvrtcGetErrorString");
    if (a.why_not.empty()) a.version(&a.major, &a.minor);
    return a;
  }();
  return a;
}

const Api& require() {
  const Api& a = api();
  KERAUNOS_CHECK(a.why_not.empty(), "keraunos: CUDA kernels need NVRTC: ", a.why_not,
                 ". Install the CUDA toolkit or torch's nvidia-cuda-nvrtc wheel, or set KERAUNOS_NVRTC to libnvrtc's path.");
  return a;
}

struct Cache {
  std::mutex mu;
  std::unordered_map<std::string, Binary> binaries;  // key -> binary
};
Cache& cache() {
  static Cache c;
  return c;
}

}  // namespace

bool available(std::string* why_not) {
  const Api& a = api();
  if (why_not) *why_not = a.why_not;
  return a.why_not.empty();
}

std::string version() {
  const Api& a = api();
  return a.why_not.empty() ? std::to_string(a.major) + "." + std::to_string(a.minor) : std::string();
}

Binary compile(const std::string& source, const std::string& arch, const std::vector<std::string>& options) {
  const Api& a = require();
  std::vector<std::string> opts{"--gpu-architecture=" + arch, "-std=c++17"};
  opts.insert(opts.end(), options.begin(), options.end());
  std::string what = "nvrtc " + version() + "\n";
  for (const auto& o : opts) what += o + "\n";
  const std::string key = sha256_hex(what + "\n" + source);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (auto it = c.binaries.find(key); it != c.binaries.end()) return it->second;
  }
  const std::string dir = jit_compiler::cache_dir() + "/cuda";
  const std::string path = dir + "/" + key + ".cubin";
  Binary b;
  b.key = key;
  // A cached binary is used when its recorded source digest matches (a truncated file does not).
  if (std::string bin = read_file(path); !bin.empty() && read_file(path + ".sha256") == sha256_hex(bin)) {
    b.cubin = std::move(bin);
    b.from_cache = true;
  } else {
    Program prog = nullptr;
    int rc = a.create(&prog, source.c_str(), "keraunos_kernel.cu", 0, nullptr, nullptr);
    KERAUNOS_CHECK(rc == 0, "nvrtc: cannot create a program: ", a.error_string(rc));
    std::vector<const char*> argv;
    for (const auto& o : opts) argv.push_back(o.c_str());
    rc = a.compile(prog, static_cast<int>(argv.size()), argv.data());
    size_t n = 0;
    a.log_size(prog, &n);
    std::string log(n, '\0');
    if (n > 0) a.log(prog, log.data());
    while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
    if (rc != 0) {
      a.destroy(&prog);
      throw jit_compiler::CompileError(str("nvrtc: the generated CUDA source does not compile for ", arch, ": ", a.error_string(rc)), log);
    }
    a.cubin_size(prog, &n);
    b.cubin.resize(n);
    a.cubin(prog, b.cubin.data());
    a.destroy(&prog);
    b.log = std::move(log);
    mkdirs(dir);
    write_atomic(path + ".sha256", sha256_hex(b.cubin));
    write_atomic(path, b.cubin);
    write_atomic(dir + "/" + key + ".cu", source);
  }
  std::lock_guard<std::mutex> lock(c.mu);
  return c.binaries.emplace(key, b).first->second;
}

}  // namespace keraunos::nvrtc
