#!/usr/bin/env bash
# The whole test suite: the lint step (clang-format, ruff, mypy), C++ unit and IR tests (Release,
# -Werror), the same core tests under AddressSanitizer + UndefinedBehaviorSanitizer (Debug, IR
# verified after every pass), and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

if [ "${KERAUNOS_SKIP_LINT:-0}" != "1" ]; then
  echo "== lint =="
  scripts/lint.sh
fi

echo "== build (Release) =="
BUILD_DIR=build BUILD_TYPE=Release scripts/build.sh
echo "== C++ tests =="
ctest --test-dir build --output-on-failure -j "$(nproc)"

if [ "${KERAUNOS_SKIP_SANITIZERS:-0}" != "1" ]; then
  echo "== C++ tests under ASan + UBSan (Debug) =="
  BUILD_DIR=build-asan BUILD_TYPE=Debug scripts/build.sh \
    -DKERAUNOS_SANITIZE="address;undefined" -DKERAUNOS_WITH_TORCH=OFF -DKERAUNOS_BUILD_BENCHMARKS=OFF
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$(nproc)"
fi

echo "== Python tests =="
if compgen -G "tests/python/test_*.py" >/dev/null; then
  # Two workers (the machine has two cores); fused kernels are cached in $KERAUNOS_CACHE_DIR.
  PYTHONPATH=python python3 -m pytest -q -n "${PYTEST_WORKERS:-2}" -p no:cacheprovider tests/python
else
  echo "no Python tests yet"
fi
