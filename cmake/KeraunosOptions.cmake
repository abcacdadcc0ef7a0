# Compiler flags, ccache, sanitizers, and the keraunos_library() helper every layer uses.

find_program(KERAUNOS_CCACHE ccache)
if(KERAUNOS_CCACHE)
  # Precompiled headers need ccache's pch sloppiness, or a fresh build can fail to find the PCH.
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
      "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime" ${KERAUNOS_CCACHE})
endif()

set(KERAUNOS_WARNINGS -Wall -Wextra -Wno-unused-parameter)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports false positives for std::string concatenation at -O3 (GCC bug 105329).
  list(APPEND KERAUNOS_WARNINGS -Wno-restrict -Wno-stringop-overflow -Wno-array-bounds -Wno-maybe-uninitialized)
endif()
if(KERAUNOS_WERROR)
  list(APPEND KERAUNOS_WARNINGS -Werror)
endif()

set(KERAUNOS_SANITIZE_FLAGS "")
if(KERAUNOS_SANITIZE)
  string(REPLACE ";" "," _san "${KERAUNOS_SANITIZE}")
  set(KERAUNOS_SANITIZE_FLAGS -fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_compile_options(${KERAUNOS_SANITIZE_FLAGS})
  add_link_options(${KERAUNOS_SANITIZE_FLAGS})
endif()

# Debug builds verify the IR after every pass (see src/passes/pass_manager.cpp).
add_compile_definitions($<$<CONFIG:Debug>:KERAUNOS_VERIFY_EACH_PASS=1>)

# keraunos_library(name SOURCES ... DEPS ...): one static library per layer, warnings on.
function(keraunos_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include)
  target_compile_options(${name} PRIVATE ${KERAUNOS_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

function(keraunos_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${KERAUNOS_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()
