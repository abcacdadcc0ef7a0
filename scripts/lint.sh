#!/usr/bin/env bash
# The lint step of the test command: C++ formatting (clang-format, .clang-format), Python lint and
# formatting (ruff) and types (mypy), all settings in the repository. Fails on any violation.
#   scripts/lint.sh          check
#   scripts/lint.sh --fix    rewrite files in place (clang-format -i, ruff --fix, ruff format)
set -euo pipefail
cd "$(dirname "$0")/.."
fix=0
[ "${1:-}" = "--fix" ] && fix=1
py_dirs=(python tests tools benchmarks examples)
mapfile -t cxx < <(git ls-files '*.cpp' '*.h' 2>/dev/null || find src include python tests tools benchmarks examples -name '*.cpp' -o -name '*.h')
rc=0
if ((fix)); then
  clang-format -i "${cxx[@]}"
  ruff check --fix "${py_dirs[@]}"
  ruff format "${py_dirs[@]}"
else
  echo "[lint] clang-format (${#cxx[@]} files)"
  clang-format --dry-run --Werror "${cxx[@]}" || rc=1
  echo "[lint] ruff"
  ruff check "${py_dirs[@]}" || rc=1
  ruff format --check --quiet "${py_dirs[@]}" || { echo "[lint] ruff format would reformat the files above (scripts/lint.sh --fix)"; rc=1; }
fi
echo "[lint] mypy"
mypy || rc=1
if ((rc)); then echo "[lint] failed: scripts/lint.sh --fix rewrites what the formatters can" >&2; fi
exit $rc
