#!/usr/bin/env bash
# Installs what keraunos needs to build and test: Debian packages and the pinned pip packages.
# Idempotent, and quick when everything is already there. A tool already on the PATH (cmake, ninja,
# a compiler: a GPU image has them outside Debian's packages) counts as installed. Where no package
# source is reachable, it goes on without the optional pieces (ccache, clang-format, GoogleTest, Google Benchmark:
# the C++ unit tests and benchmarks are then left out, as the configure step says) and stops only if
# an essential one is missing (KERAUNOS_OFFLINE=1: without trying). pip honours PIP_FIND_LINKS and
# PIP_NO_INDEX for machines without an index.
set -euo pipefail
cd "$(dirname "$0")/.."

# package : how to tell it is there without dpkg (a command, or a file)
ESSENTIAL=(cmake:cmake ninja-build:ninja g++:g++ git:git)
OPTIONAL=(ccache:ccache clang-format:clang-format libgtest-dev:/usr/include/gtest/gtest.h libgmock-dev:/usr/include/gmock/gmock.h
          libbenchmark-dev:/usr/include/benchmark/benchmark.h graphviz:dot)
present() {  # present PACKAGE PROBE
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" && return 0
  case "$2" in /*) [ -e "$2" ] ;; *) command -v "$2" >/dev/null 2>&1 ;; esac
}
missing=() missing_essential=()
for entry in "${ESSENTIAL[@]}" "${OPTIONAL[@]}"; do
  pkg=${entry%%:*} probe=${entry#*:}
  present "$pkg" "$probe" && continue
  missing+=("$pkg")
  [[ " ${ESSENTIAL[*]} " == *" $entry "* ]] && missing_essential+=("$pkg")
done
if ((${#missing[@]})) && [ "${KERAUNOS_OFFLINE:-0}" = 1 ] && ((${#missing_essential[@]} == 0)); then
  echo "[setup] offline (KERAUNOS_OFFLINE=1): going on without ${missing[*]}"
elif ((${#missing[@]})); then
  echo "[setup] installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  if ! { timeout 300 $SUDO apt-get update -qq -o Acquire::Retries=0 &&
         DEBIAN_FRONTEND=noninteractive timeout 900 $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
    if ((${#missing_essential[@]})); then
      echo "[setup] could not install ${missing_essential[*]}, which the build needs" >&2
      exit 1
    fi
    echo "[setup] could not install ${missing[*]} (no package source reachable?); going on without them"
  fi
fi

PY=${PYTHON:-python3}
if ! $PY - <<'PYEOF' 2>/dev/null; then
import sys, re
from importlib import metadata
ok = True
for line in open("requirements.txt"):
    line = line.split("#")[0].strip()
    if not line:
        continue
    m = re.match(r"([A-Za-z0-9_.\-]+)\s*(==|>=)?\s*([0-9][^\s]*)?", line)
    name, op, ver = m.group(1), m.group(2), m.group(3)
    try:
        have = metadata.version(name)
    except metadata.PackageNotFoundError:
        ok = False
        continue
    if op == "==" and have.split("+")[0] != ver:
        ok = False
sys.exit(0 if ok else 1)
PYEOF
  echo "[setup] installing pip packages from requirements.txt"
  $PY -m pip install -q --disable-pip-version-check -r requirements.txt
fi
echo "[setup] ok"
