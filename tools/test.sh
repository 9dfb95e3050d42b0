#!/usr/bin/env bash
# Runs every vnet test: unit tests, BPF fixture tests and the network
# namespace labs. Installs missing packages, builds into build/, then ctest.
# Usage: sudo tools/test.sh [ctest args...]   e.g. -L netns, -R unit
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/deps.sh
vnet_install_deps

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
cd build
exec ctest --output-on-failure --timeout 900 "$@"
