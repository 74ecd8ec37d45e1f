#!/bin/bash
# Long-running stress of the lock-free core (deque, epochs, inbox): builds core_stress in
# build/host and runs it. Used by `make stress ARGS="..."`.
#   test/run_stress.sh [--threads N] [--items N] [--seconds S] [--seed N] [--only deque|epoch|inbox]
# Defaults: 30 seconds in total, 3 threads, seed from the clock (printed, so a failing run
# can be repeated with --seed).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build/host}
args=("$@")
has() { local a; for a in "${args[@]}"; do [[ $a == "$1" ]] && return 0; done; return 1; }
has --seconds || args+=(--seconds 30)
has --seed || args+=(--seed "$(date +%s)")

echo "run_stress: building core_stress in $BUILD_DIR"
mkdir -p "$BUILD_DIR"
cmake -S . -B "$BUILD_DIR" >"$BUILD_DIR/stress-configure.log" 2>&1 || {
    tail -40 "$BUILD_DIR/stress-configure.log"; echo "run_stress: cmake configure failed"; exit 1; }
cmake --build "$BUILD_DIR" --target core_stress -j2 >"$BUILD_DIR/stress-build.log" 2>&1 || {
    tail -40 "$BUILD_DIR/stress-build.log"; echo "run_stress: build failed"; exit 1; }

echo "run_stress: $BUILD_DIR/test/core/core_stress ${args[*]}"
exec "$BUILD_DIR/test/core/core_stress" "${args[@]}"
