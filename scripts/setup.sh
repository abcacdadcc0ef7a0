#!/usr/bin/env bash
# Installs what keraunos needs to build and test: Debian packages and the pinned pip packages.
# Idempotent, and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(cmake ninja-build g++ ccache libgtest-dev libgmock-dev libbenchmark-dev git)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "[setup] installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
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
