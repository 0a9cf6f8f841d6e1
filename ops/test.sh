#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test: first a Release build
# with warnings as errors, then the same tests under AddressSanitizer +
# UndefinedBehaviorSanitizer. The README's test command; .ci/run calls it.
#
#   ZHIBAN_SKIP_SANITIZE=1 ops/test.sh   # only the Release pass
set -euo pipefail
cd "$(dirname "$0")/.."

ops/install-deps.sh

echo "== Release build (warnings are errors)"
# Options are explicit: build/ may have been configured by quickstart.sh (no tests).
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DZHIBAN_WERROR=ON \
      -DZHIBAN_BUILD_TESTS=ON -DZHIBAN_BUILD_BENCH=ON
cmake --build build
echo "== tests"
ctest --test-dir build --output-on-failure -j2 --timeout 300

if [ "${ZHIBAN_SKIP_SANITIZE:-0}" != 1 ]; then
  echo "== ASan + UBSan build"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZHIBAN_SANITIZE=ON \
        -DZHIBAN_WERROR=ON -DZHIBAN_BUILD_TESTS=ON -DZHIBAN_BUILD_BENCH=OFF
  cmake --build build-asan
  echo "== tests under ASan + UBSan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j2 --timeout 600
fi
