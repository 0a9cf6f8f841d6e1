#!/usr/bin/env bash
# The README's test command; .ci/run calls it. Installs what is needed, builds
# and runs every test twice, so that both machines a user may have are proven:
#
#   0. The tree is formatted as .clang-format says.
#   1. Release, warnings as errors, with every optional package hidden
#      (ops/without-optional.sh): exactly what a new user's machine builds.
#   2. ASan + UBSan, with every optional package required (installed here by
#      ops/install-deps.sh --optional, ZHIBAN_OPTIONAL_DEFAULT=ON), zhiban-bench
#      included so every optional code path compiles.
#   3. ThreadSanitizer: zhiband, the notifiers and the integration tests built
#      with -fsanitize=thread, the tests whose processes run several threads
#      (ops/tsan.sh; tests/tsan/README.md).
#   4. The libFuzzer harnesses (fuzz/, clang-14), each for 20 s (ops/fuzz.sh).
#
# Every build compiles through ccache (installed with --test; cmake/ZhibanCcache.cmake):
# a second run, or a fresh clone of a commit built before, compiles little. The
# ASan, TSan and fuzz builds are unity builds (CMAKE_UNITY_BUILD, batches of 8
# files), the release build is not: it proves each file compiles on its own.
# The summary says how many compilations the cache answered.
#
# Each stage's time is printed, and a summary with the total at the end (also
# when a stage fails). The budget is 45 minutes on a 2-core machine.
#
#   ZHIBAN_SKIP_SANITIZE=1 ops/test.sh   # only the first pass (no ASan, no fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."

BUDGET_S=$((45 * 60))
START_S=$SECONDS
TIMES=()
CURRENT=""

summary() {
  local rc=$?
  echo
  echo "== ops/test.sh stage times"
  local line
  for line in "${TIMES[@]}"; do echo "$line"; done
  [ -n "$CURRENT" ] && printf '  %-48s %s\n' "$CURRENT" "FAILED after $((SECONDS - STAGE_T0)) s"
  local total=$((SECONDS - START_S))
  printf '  %-48s %5d s (%d min %02d s; budget %d min)\n' "total" "$total" $((total / 60)) \
    $((total % 60)) $((BUDGET_S / 60))
  [ "$total" -le "$BUDGET_S" ] || echo "ops/test.sh: over the ${BUDGET_S} s budget" >&2
  ccache_summary
  exit "$rc"
}

# ccache's counters as "hits misses" (0 0 without ccache).
ccache_counts() {
  command -v ccache >/dev/null || { echo "0 0"; return; }
  ccache --print-stats 2>/dev/null | awk -F'\t' '
    $1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" {h += $2}
    $1 == "cache_miss" {m += $2}
    END {print h + 0, m + 0}'
}
CCACHE_HITS0=""  # the counters once the packages are in (ccache among them)
ccache_summary() {
  [ -n "$CCACHE_HITS0" ] || return 0
  command -v ccache >/dev/null || { echo "  ccache: not installed (ops/install-deps.sh --test)"; return; }
  local h m
  read -r h m < <(ccache_counts)
  h=$((h - CCACHE_HITS0)) m=$((m - CCACHE_MISSES0))
  printf '  %-48s %d of %d compilations from the cache\n' "ccache" "$h" $((h + m))
}
trap summary EXIT

# stage NAME COMMAND...: runs one stage and records its time.
stage() {
  CURRENT=$1
  shift
  echo "== $CURRENT"
  STAGE_T0=$SECONDS
  "$@"
  TIMES+=("$(printf '  %-48s %5d s' "$CURRENT" $((SECONDS - STAGE_T0)))")
  CURRENT=""
}

# No optional dependency may be enabled in the hidden build: if one is, the
# hiding missed a file and the pass proves less than it says.
check_none_enabled() {
  if awk -F'\t' '!/^#/ && $3 == "yes" {print $1; bad=1} END {exit !bad}' build/optional-deps.txt; then
    echo "ops/test.sh: the optional dependencies above were found with their packages hidden" >&2
    return 1
  fi
}

release_configure() {
  ops/without-optional.sh cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DZHIBAN_WERROR=ON \
        -DZHIBAN_BUILD_TESTS=ON -DZHIBAN_BUILD_BENCH=ON -DZHIBAN_OPTIONAL_DEFAULT=AUTO
  check_none_enabled
}

# Every C++ and proto file as .clang-format says (fix: clang-format -i FILE...).
check_format() {
  git ls-files -z '*.cpp' '*.h' '*.proto' | xargs -0 clang-format --dry-run --Werror
}

stage "packages (required, then optional and test-only)" \
  bash -c 'ops/install-deps.sh && ops/install-deps.sh --optional --test'
read -r CCACHE_HITS0 CCACHE_MISSES0 < <(ccache_counts)
stage "format (clang-format --dry-run --Werror)" check_format
# Options are explicit: build/ may have been configured by quickstart.sh (no tests).
stage "release: configure, optional hidden" release_configure
stage "release: build, optional hidden" ops/without-optional.sh cmake --build build
stage "release: tests, optional hidden" \
  ops/without-optional.sh ctest --test-dir build --output-on-failure -j2 --timeout 300

if [ "${ZHIBAN_SKIP_SANITIZE:-0}" != 1 ]; then
  # -O1 -g1: line tables are all ASan's reports need, and it compiles in half
  # the time of -O2 -g (measured here: ctl.pb.cc 97 s -> 48 s, the rota engine 56 s -> 26 s).
  stage "asan: configure, optional required" \
    cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZHIBAN_SANITIZE=ON \
          -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_UNITY_BUILD=ON \
          -DZHIBAN_WERROR=ON -DZHIBAN_BUILD_TESTS=ON -DZHIBAN_BUILD_BENCH=ON \
          -DZHIBAN_OPTIONAL_DEFAULT=ON
  stage "asan: build" cmake --build build-asan
  stage "asan: tests under ASan + UBSan" \
    env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j2 --timeout 600
  # The replay thread, the ZAP thread, the long-work worker and the plugin
  # SDK's HTTP thread under ThreadSanitizer; any report from any process fails.
  stage "tsan: build and threaded tests (ops/tsan.sh)" ops/tsan.sh
  # Every parser of outside input under libFuzzer for a bounded time from
  # its seed corpus (fuzz/README.md); prints executions and edges per harness.
  stage "fuzz: each harness 20 s (ops/fuzz.sh)" ops/fuzz.sh
fi
