#include "jit/cuda_driver.h"

#include <dlfcn.h>

#include "support/error.h"

namespace keraunos::cuda_driver {
namespace {

// CUresult and the attribute numbers from cuda.h (stable across versions).
constexpr int kAttrMultiprocessorCount = 16;
constexpr int kAttrComputeCapabilityMajor = 75;
constexpr int kAttrComputeCapabilityMinor = 76;

struct Api {
  int (*get_error_string)(int, const char**) = nullptr;
  int (*device_get_attribute)(int*, int, int) = nullptr;
  int (*module_load_data)(void**, const void*) = nullptr;
  int (*module_get_function)(void**, void*, const char*) = nullptr;
  int (*launch_kernel)(void*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void*, void**, void**) = nullptr;
  std::string why_not;
};

const Api& api() {
  static const Api a = [] {
    Api a;
    void* h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      a.why_not = "the CUDA driver (libcuda.so.1) is not installed";
      return a;
    }
    auto sym = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(h, name));
      if (fn == nullptr && a.why_not.empty()) a.why_not = std::string("libcuda lacks ") + name;
    };
    sym(a.get_error_string, "cuGetErrorString");
    sym(a.device_get_attribute, "cuDeviceGetAttribute");
    sym(a.module_load_data, "cuModuleLoadData");
    sym(a.module_get_function, "cuModuleGetFunction");
    sym(a.launch_kernel, "cuLaunchKernel");
    return a;
  }();
  return a;
}

const Api& require() {
  const Api& a = api();
  KERAUNOS_CHECK(a.why_not.empty(), "keraunos: the CUDA fuser needs the CUDA driver: ", a.why_not);
  return a;
}

void check(int rc, const char* what) {
  if (rc == 0) return;
  const char* msg = nullptr;
  api().get_error_string(rc, &msg);
  throw Error(str("keraunos: CUDA driver call ", what, " failed: ", msg ? msg : "unknown error", " (", rc, ")"));
}

int attribute(int device, int attr, const char* what) {
  int v = 0;
  check(require().device_get_attribute(&v, attr, device), what);
  return v;
}

}  // namespace

bool available(std::string* why_not) {
  const Api& a = api();
  if (why_not) *why_not = a.why_not;
  return a.why_not.empty();
}

std::string arch(int device) {
  const int major = attribute(device, kAttrComputeCapabilityMajor, "cuDeviceGetAttribute(compute capability)");
  const int minor = attribute(device, kAttrComputeCapabilityMinor, "cuDeviceGetAttribute(compute capability)");
  return str("sm_", major, minor, major == 9 && minor == 0 ? "a" : "");
}

int multiprocessor_count(int device) { return attribute(device, kAttrMultiprocessorCount, "cuDeviceGetAttribute(multiprocessors)"); }

Function load(const std::string& cubin, const char* name) {
  const Api& a = require();
  void* module = nullptr;
  check(a.module_load_data(&module, cubin.data()), "cuModuleLoadData");
  void* fn = nullptr;
  check(a.module_get_function(&fn, module, name), "cuModuleGetFunction");
  return fn;
}

void launch(Function fn, unsigned grid, unsigned block, Stream stream, void** params) {
  check(require().launch_kernel(fn, grid, 1, 1, block, 1, 1, 0, stream, params, nullptr), "cuLaunchKernel");
}

}  // namespace keraunos::cuda_driver
