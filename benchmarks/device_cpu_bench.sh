#!/usr/bin/env bash
# Builds keraunos (Release, the Python extension only) on a machine that has torch, cmake, ninja and
# pybind11 but no network (the GPU hosts the device tool lends), runs the fuser's end-to-end tests
# there, then the CPU fuser benchmark with all its cores. Logs go to $OUT (default /tmp/keraunos-out).
#   benchmarks/device_cpu_bench.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/keraunos-out}
mkdir -p "$OUT"
lscpu > "$OUT/lscpu.txt" 2>&1 || true
py=$(command -v python3)
# The GPU hosts' image sets CXX to a GCC that links libstdc++ statically into shared objects; a
# private libstdc++ inside keraunos._C beside torch's shared one crashes on the first ostream use.
# The distribution's compiler links it dynamically.
export CXX=/usr/bin/g++ CC=/usr/bin/gcc
cmake -S . -B build-dev -G Ninja -DCMAKE_BUILD_TYPE=Release -DKERAUNOS_BUILD_TESTS=OFF -DKERAUNOS_BUILD_BENCHMARKS=OFF \
  -DKERAUNOS_BUILD_EXAMPLES=OFF -DPython_EXECUTABLE="$py" -DPython3_EXECUTABLE="$py" > "$OUT/build.log" 2>&1
ninja -C build-dev >> "$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
export PYTHONPATH=python PYTHONUNBUFFERED=1
python3 -m pytest -q -p no:cacheprovider tests/python/test_fuser.py 2>&1 | tail -3 | tee "$OUT/test_fuser.txt"
python3 benchmarks/bench_fuser.py "$@" 2>&1 | grep -v "^W[0-9]" | tee "$OUT/bench_fuser.txt"
