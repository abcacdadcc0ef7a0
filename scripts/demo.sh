#!/usr/bin/env bash
# The demo: installs what is missing, builds keraunos, and compiles the example GPT on the CPU with
# the default executors: checks it against eager, shows where each op ran, an abridged execution
# trace, and the speed against eager and torch.compile measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
echo "[demo] building (the first time takes a few minutes) ..."
BUILD_DIR=build BUILD_TYPE=Release scripts/build.sh >/dev/null
PYTHONPATH=python exec python3 tools/demo.py "$@"
