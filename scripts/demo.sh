#!/usr/bin/env bash
# The demo: builds keraunos and runs the example.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
BUILD_DIR=build BUILD_TYPE=Release scripts/build.sh >/dev/null
./build/tools/keraunos-demo
