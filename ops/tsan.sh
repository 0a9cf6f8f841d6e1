#!/usr/bin/env bash
# Builds zhiband, zhibanctl, the notifiers and the integration tests with
# ThreadSanitizer (build-tsan/, gcc, -O1 -g1) and runs the tests whose
# processes run more than one thread (tests/tsan/README.md says which and why).
# Every process — the test and each zhiband or notifier it starts — writes its
# reports to build-tsan/tsan/report.<pid>; any report fails the run and is
# printed. The Debian libraries are not instrumented: tests/tsan/suppressions.txt.
#
#   ops/tsan.sh                    # the threaded tests
#   ops/tsan.sh 'NotifyConsole\.'  # a ctest -R regex of your own
set -euo pipefail
cd "$(dirname "$0")/.."
B=build-tsan
# Not here: the two 20,000-event floods (DaemonBus.DroppedLiveEvents...,
# NotifyConsole.KillDashNine...), whose deadlines assume an uninstrumented
# build; the same threads run in the tests below at a pace TSan keeps up with.
THREADED='^(DaemonBus\.CreatedCenterArrivesOnTheBusWithSeq1$|Daemon\.LateSubscriberCatchesUpThenFollows$'
THREADED+='|DaemonDurability\.|RotaDaemon\.CommandsAreAnsweredWhileAYearIsPlanned$|PluginSdk\.'
THREADED+='|NotifyConsole\.(WaitsForTheDaemon|StopsPromptly)|NotifySms\.TencentKilledMidStream'
THREADED+='|Security\.ARevokedKeyIsCutOffOnCtlPubAndReplay$)'
REGEX=${1:-$THREADED}

mkdir -p "$B"
if ! { cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZHIBAN_TSAN=ON \
         -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_UNITY_BUILD=ON -DZHIBAN_WERROR=ON -DZHIBAN_BUILD_TESTS=ON \
         -DZHIBAN_BUILD_BENCH=OFF -DZHIBAN_OPTIONAL_DEFAULT=OFF &&
       cmake --build "$B" --target integration_tests; } >"$B/build.log" 2>&1; then
  tail -n 40 "$B/build.log"
  echo "tsan: the build failed (above; all of it in $B/build.log)" >&2
  exit 1
fi

reports="$PWD/$B/tsan"
rm -rf "$reports"
mkdir -p "$reports"
# halt_on_error stays off and exitcode is 0: a report in a child zhiband must
# not turn into an exit or crash a test then explains away (or fails on for
# the wrong reason); the report files themselves fail the run.
export TSAN_OPTIONS="suppressions=$PWD/tests/tsan/suppressions.txt log_path=$reports/report exitcode=0 second_deadlock_stack=1 history_size=7"
status=0
ctest --test-dir "$B" --output-on-failure -j2 --timeout 900 -R "$REGEX" || status=$?
if ! ctest --test-dir "$B" -N -R "$REGEX" | grep -q 'Total Tests: [1-9]'; then
  echo "tsan: no test matches $REGEX" >&2
  exit 1
fi
found=("$reports"/report.*)
if [ -e "${found[0]}" ]; then
  for f in "${found[@]}"; do
    echo "== $f"
    cat "$f"
  done
  echo "tsan: ${#found[@]} process(es) reported (above); fix each with a test" >&2
  exit 1
fi
echo "tsan: no report from any process"
exit $status
