#!/usr/bin/env bash
# Configures and builds keraunos into build/ (Release by default; BUILD_TYPE=Debug verifies the IR
# after every pass). Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-Release}
WERROR=${WERROR:-$([ "${CI:-}" = "true" ] && echo ON || echo OFF)}
mkdir -p "$BUILD_DIR"
if [ ! -f "$BUILD_DIR/build.ninja" ] || [ CMakeLists.txt -nt "$BUILD_DIR/build.ninja" ] || [ $# -gt 0 ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DKERAUNOS_WERROR="$WERROR" "$@" >"$BUILD_DIR/configure.log" 2>&1 \
    || { cat "$BUILD_DIR/configure.log"; exit 1; }
  grep -E "keraunos|torch:|left out" "$BUILD_DIR/configure.log" | sed 's/^-- /[build] /'
fi
ninja -C "$BUILD_DIR" -j "${JOBS:-$(nproc)}"
