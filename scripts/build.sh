#!/usr/bin/env bash
# Configures and builds keraunos into build/ (Release by default; BUILD_TYPE=Debug verifies the IR
# after every pass). Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-Release}
WERROR=${WERROR:-ON}  # warnings are errors in development builds (WERROR=OFF to relax)
mkdir -p "$BUILD_DIR"
# The extension links libtorch and must share its C++ runtime. Some toolchains (the GPU image's
# $CXX among them) link libstdc++ statically into shared objects; on a first configure, keep $CXX
# when it passes cmake/check_cxx_runtime.py, else take the first system compiler that does.
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ] && python3 -c "import torch" >/dev/null 2>&1; then
  want=${CXX:-c++}
  if ! picked=$(python3 cmake/check_cxx_runtime.py --pick --cxx "$want" --cxx /usr/bin/g++ --cxx /usr/bin/c++ --cxx clang++ 2>"$BUILD_DIR/cxx-check.log"); then
    sed 's/^/[build] /' "$BUILD_DIR/cxx-check.log"
    echo "[build] no C++ compiler here builds shared objects that can live next to torch; set CXX to one that links libstdc++ dynamically" >&2
    exit 1
  fi
  if [ "$picked" != "$want" ]; then
    sed 's/^/[build] /' "$BUILD_DIR/cxx-check.log"
    echo "[build] building with $picked instead of $want (set CXX to choose another compiler)"
  fi
  export CXX=$picked
fi
if [ ! -f "$BUILD_DIR/build.ninja" ] || [ CMakeLists.txt -nt "$BUILD_DIR/build.ninja" ] || [ $# -gt 0 ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DKERAUNOS_WERROR="$WERROR" "$@" >"$BUILD_DIR/configure.log" 2>&1 \
    || { cat "$BUILD_DIR/configure.log"; exit 1; }
  grep -E "keraunos|torch:|left out" "$BUILD_DIR/configure.log" | sed 's/^-- /[build] /'
fi
ninja -C "$BUILD_DIR" -j "${JOBS:-$(nproc)}"
