#!/usr/bin/env bash
# On a machine with a CUDA GPU (the lent H100/H200 hosts): builds keraunos as the README says, in the
# machine's own environment (its $CXX included), runs the whole test suite there with the CUDA tests
# enabled, then the GPU benchmarks. Logs go to $OUT (default /tmp/keraunos-gpu).
#
#   scripts/gpu_suite.sh build              # setup + scripts/build.sh
#   scripts/gpu_suite.sh bench [args...]    # benchmarks/bench_gpu.py with these arguments (after a build)
#   scripts/gpu_suite.sh tests              # build + the whole suite (C++ tests where GoogleTest is)
#   scripts/gpu_suite.sh all [args...]      # build, bench, tests
#
# Without a package index, put wheels for requirements.txt's missing packages in .whl/ (see
# docs/dev/gpu.md); pip installs from there.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/keraunos-gpu}
mkdir -p "$OUT"
what=${1:-all}
shift || true
# The lent hosts reach no network: no apt; pip installs from carried wheels.
export KERAUNOS_OFFLINE=${KERAUNOS_OFFLINE:-1}
[ -d .whl ] && export PIP_FIND_LINKS=$PWD/.whl PIP_NO_INDEX=1
export PYTHONUNBUFFERED=1

{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
  echo "CXX=${CXX:-} CC=${CC:-}"
  for c in "${CXX:-c++}" /usr/bin/g++; do echo "$c: $($c --version 2>&1 | head -1)"; done
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "device", torch.cuda.get_device_name() if torch.cuda.is_available() else None)'
  nproc
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"

rc=0
if [ "$what" = build ] || [ "$what" = all ]; then
  { bash scripts/setup.sh && BUILD_DIR=build BUILD_TYPE=Release bash scripts/build.sh; } > "$OUT/build.log" 2>&1 || rc=$?
  grep -E "^\[build\]|^\[setup\]|error" "$OUT/build.log" | tail -20
  echo "[gpu] build exit code: $rc"
  [ $rc -eq 0 ] || exit $rc
fi
if [ "$what" = bench ] || [ "$what" = all ]; then
  PYTHONPATH=python timeout "${BENCH_TIMEOUT:-900}" python3 benchmarks/bench_gpu.py --json "$OUT/bench.jsonl" "$@" 2>&1 | grep -v "^W[0-9]" | tee "$OUT/bench.txt"
  [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
fi
if [ "$what" = tests ] || [ "$what" = all ]; then
  python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' ||
    { echo "[gpu] no CUDA device: the CUDA tests would only skip" >&2; exit 1; }
  # The README's test command; the sanitizer builds and the lint step are CPU-only and run in CI.
  KERAUNOS_SKIP_SANITIZERS=1 KERAUNOS_SKIP_LINT=1 PYTEST_WORKERS=${PYTEST_WORKERS:-12} PYTEST_ADDOPTS="-rsfE ${PYTEST_ADDOPTS:-}" \
    bash scripts/test.sh > "$OUT/tests.log" 2>&1 || rc=$?
  grep -E "^\[build\]|^\[setup\]|passed|failed|^FAILED|^ERROR|^SKIPPED" "$OUT/tests.log" | tail -40
  echo "[gpu] tests exit code: $rc"
fi
exit $rc
