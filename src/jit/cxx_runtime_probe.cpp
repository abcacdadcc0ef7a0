// A probe for a host C++ compiler: built as a shared object by the configure check
// (cmake/check_cxx_runtime.py) and by the CPU fuser before its first kernel, loaded next to torch,
// and run. It reports which file holds the C++ runtime it was linked against: the libstdc++ that
// torch loaded, or its own private copy (a compiler that links libstdc++ statically), which crashes
// when objects cross into torch's.
#include <dlfcn.h>

#include <cstdio>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#ifdef _OPENMP
#include <omp.h>
#endif

extern "C" __attribute__((visibility("default"))) int keraunos_cxx_runtime_probe(char* buf, int len) {
  std::ostringstream os;
  try {
    throw std::runtime_error("probe");
  } catch (const std::exception& e) {
    os << e.what();
  }
  int sum = 0;
#ifdef _OPENMP
#pragma omp parallel for reduction(+ : sum)
#endif
  for (int i = 1; i <= 100; ++i) sum += i;
  Dl_info info{};
  const bool found = dladdr(reinterpret_cast<const void*>(&std::cout), &info) != 0 && info.dli_fname != nullptr;
  os << ' ' << sum;
  // "<what the C++ runtime formatted>|<the file holding std::cout>"; expected "probe 5050|<path>".
  std::snprintf(buf, static_cast<size_t>(len), "%s|%s", os.str().c_str(), found ? info.dli_fname : "?");
  return sum;
}
