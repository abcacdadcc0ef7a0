# Optional dependencies: libtorch (from the pip wheel's CMake config) and the CUDA toolkit.
# The core layers (support, ir, ops, passes, executors/api) need neither.

# The layers that link libtorch share its C++ runtime: a compiler whose shared objects carry their own
# libstdc++ (some toolchains link it statically) builds an extension that crashes on its first call.
# The check builds a probe with the compiler, loads it next to torch and runs it; once per compiler.
function(keraunos_check_cxx_runtime)
  set(_id "${CMAKE_CXX_COMPILER}|${CMAKE_CXX_COMPILER_VERSION}|${Python3_EXECUTABLE}")
  if(KERAUNOS_CXX_RUNTIME_CHECKED STREQUAL _id)
    return()
  endif()
  execute_process(
    COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/cmake/check_cxx_runtime.py --cxx ${CMAKE_CXX_COMPILER}
    RESULT_VARIABLE _rc ERROR_VARIABLE _why OUTPUT_QUIET)
  if(NOT _rc EQUAL 0)
    string(STRIP "${_why}" _why)
    message(FATAL_ERROR "${_why}\n"
      "keraunos links libtorch, so it must share torch's C++ runtime. Configure with a compiler that links the "
      "system libstdc++ dynamically, from an empty build directory: `CXX=/usr/bin/g++ cmake ...`, or run "
      "scripts/build.sh, which picks such a compiler when $CXX is not one.")
  endif()
  set(KERAUNOS_CXX_RUNTIME_CHECKED "${_id}" CACHE INTERNAL "the compiler whose C++ runtime was checked against torch's")
endfunction()

set(KERAUNOS_HAVE_TORCH OFF)
set(KERAUNOS_SKIPPED "")
if(KERAUNOS_WITH_TORCH AND NOT KERAUNOS_SANITIZE)
  find_package(Python3 COMPONENTS Interpreter QUIET)
  if(Python3_FOUND)
    execute_process(
      COMMAND ${Python3_EXECUTABLE} -c "import torch; print(torch.utils.cmake_prefix_path)"
      OUTPUT_VARIABLE _torch_prefix OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE _torch_rc ERROR_QUIET)
    if(_torch_rc EQUAL 0)
      list(APPEND CMAKE_PREFIX_PATH ${_torch_prefix})
      # The wheel's config probes CUDA; the ATen layers need only the CPU libraries and headers.
      # An explicit arch list keeps the config from compiling and running a GPU probe.
      if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
        set(ENV{TORCH_CUDA_ARCH_LIST} "9.0")
      endif()
      find_package(Torch QUIET)
      if(Torch_FOUND)
        set(KERAUNOS_HAVE_TORCH ON)
        keraunos_check_cxx_runtime()
      endif()
    endif()
  endif()
endif()
if(NOT KERAUNOS_HAVE_TORCH)
  list(APPEND KERAUNOS_SKIPPED "layers needing libtorch (torch not found, disabled, or sanitizer build)")
endif()

find_package(CUDAToolkit QUIET)
set(KERAUNOS_HAVE_CUDA ${CUDAToolkit_FOUND})
if(NOT KERAUNOS_HAVE_CUDA)
  list(APPEND KERAUNOS_SKIPPED "CUDA code generation through NVRTC (CUDA toolkit not found)")
endif()

find_package(GTest QUIET)
find_package(benchmark QUIET)
if(KERAUNOS_BUILD_BENCHMARKS AND NOT benchmark_FOUND)
  list(APPEND KERAUNOS_SKIPPED "benchmarks (Google Benchmark not found)")
endif()

function(keraunos_print_summary)
  message(STATUS "keraunos ${PROJECT_VERSION}: build type ${CMAKE_BUILD_TYPE}")
  message(STATUS "  torch: ${KERAUNOS_HAVE_TORCH}  cuda toolkit: ${KERAUNOS_HAVE_CUDA}  ccache: ${KERAUNOS_CCACHE}")
  message(STATUS "  sanitizers: '${KERAUNOS_SANITIZE}'  werror: ${KERAUNOS_WERROR}")
  foreach(s IN LISTS KERAUNOS_SKIPPED)
    message(STATUS "  left out: ${s}")
  endforeach()
endfunction()
