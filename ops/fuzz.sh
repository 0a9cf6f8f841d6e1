#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, clang-14 + ASan + UBSan) and runs
# each for a bounded time from its checked-in seed corpus, then prints what
# each did: executions, executions per second, edges covered (cov) and
# features (ft). A crash stops the script with the input that caused it.
#
#   ops/fuzz.sh              # every harness, ZHIBAN_FUZZ_SECONDS (20) each
#   ops/fuzz.sh csv_import   # one harness
#
# Each harness is one process on one core; ZHIBAN_FUZZ_JOBS (the number of
# cores) run side by side, so every harness still gets its seconds of a core.
#
# New inputs found go to build-fuzz/corpus/<harness> (kept between runs, not
# committed); a crash's input to build-fuzz/crashes/. Turn a crash into a
# unit test, then add the input to fuzz/corpus/<harness>/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${ZHIBAN_FUZZ_SECONDS:-20}
JOBS=${ZHIBAN_FUZZ_JOBS:-$(nproc)}
B=build-fuzz

mkdir -p "$B"
if ! { cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
         -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_UNITY_BUILD=ON -DZHIBAN_FUZZ=ON -DZHIBAN_WERROR=ON \
         -DZHIBAN_OPTIONAL_DEFAULT=OFF && cmake --build "$B" --target fuzzers; } >"$B/build.log" 2>&1; then
  tail -n 40 "$B/build.log"
  echo "fuzz: the build failed (above; all of it in $B/build.log)" >&2
  exit 1
fi

harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for f in fuzz/*.cpp; do harnesses+=("$(basename "$f" .cpp)"); done
fi

mkdir -p "$B/crashes"

# fuzz_one HARNESS: runs it and leaves one table row in $B/row-HARNESS, or
# FAILED and the end of its log there.
fuzz_one() {
  local h=$1 log="$B/fuzz-$1.log" row="$B/row-$1"
  mkdir -p "$B/corpus/$h"
  if ! env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
       "$B/fuzz/fuzz_$h" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -max_len=65536 \
       -timeout=10 -print_final_stats=1 -artifact_prefix="$B/crashes/$h-" \
       "$B/corpus/$h" "fuzz/corpus/$h" >"$log" 2>&1; then
    { echo "$h: FAILED — the end of $log:"; tail -n 40 "$log"; } >"$row"
    return 1
  fi
  local done_line execs speed cov ft corp
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log")
  speed=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$log")
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$done_line")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$done_line")
  corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$done_line")
  printf '%-18s %12s %10s %8s %8s %8s\n' "$h" "${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" \
    "${corp:-?}" >"$row"
}

failed=0
running=0
for h in "${harnesses[@]}"; do
  rm -f "$B/row-$h"
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
  fuzz_one "$h" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done

printf '%-18s %12s %10s %8s %8s %8s\n' harness execs exec/s cov ft corpus
for h in "${harnesses[@]}"; do cat "$B/row-$h"; done
exit $failed
