#!/usr/bin/env bash
# From a fresh clone: install, build (Release), start zhiband on the embedded
# RocksDB in ./var/zhiban with a demo network, and show what to try next.
# Safe to run again: it reuses a running zhiband and re-imports the demo
# (an upsert, so nothing changes the second time).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

ops/install-deps.sh

echo "== building (Release)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DZHIBAN_BUILD_TESTS=OFF \
      -DZHIBAN_BUILD_BENCH=OFF >/dev/null
cmake --build build --target zhiband zhibanctl zhiban-notify-console

BIN=$ROOT/build/bin
DATA=$ROOT/var/zhiban
LOG=$ROOT/var/zhiband.log
PIDFILE=$ROOT/var/zhiband.pid
mkdir -p "$DATA"

if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "== zhiband already running (pid $(cat "$PIDFILE"))"
else
  echo "== starting zhiband (data $DATA, log $LOG)"
  nohup "$BIN/zhiband" --data-dir "$DATA" >>"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
fi

# Ready when it answers (the request waits in ZeroMQ until zhiband binds).
if ! "$BIN/zhibanctl" --timeout-ms 15000 status >/dev/null 2>&1; then
  echo "zhiband did not answer; the end of its log:" >&2
  tail -n 20 "$LOG" >&2
  exit 1
fi

NPIDFILE=$ROOT/var/notify-console.pid
if [ -f "$NPIDFILE" ] && kill -0 "$(cat "$NPIDFILE")" 2>/dev/null; then
  echo "== zhiban-notify-console already running (pid $(cat "$NPIDFILE"))"
else
  echo "== starting zhiban-notify-console (notifications in var/notifications.txt)"
  nohup "$BIN/zhiban-notify-console" --state-dir "$ROOT/var/notify-console" \
    --out "$ROOT/var/notifications.txt" >>"$ROOT/var/notify-console.log" 2>&1 &
  echo $! >"$NPIDFILE"
fi

echo "== loading the demo network: a street center, three community centers, twelve staff"
"$BIN/zhibanctl" import centers ops/demo/centers.csv
"$BIN/zhibanctl" import staff ops/demo/staff.csv
echo "== opening policies: 365-day service for every demo center"
"$BIN/zhibanctl" policy set --file ops/policies/community.toml --from 2024-01-01
for center in chaoyang-street xingfu heping yangguang; do
  "$BIN/zhibanctl" policy assign --center "$center" --policy community-standard --from 2024-01-01
done
echo "== duty rota for the rest of this month: a weekend rotation at xingfu, auto-fill for the rest, published"
FROM=$(date +%F)
TO=$(date -d "$(date +%Y-%m-01) +1 month -1 day" +%F)
MONTH=$(date +%Y-%m)
"$BIN/zhibanctl" rota rotation set --id xingfu-weekend --center xingfu --members linan,chenjing,zhaolei \
  --period weekly --start "$FROM" --day-types WEEKEND
"$BIN/zhibanctl" rota generate --center all --from "$FROM" --to "$TO" --fill
"$BIN/zhibanctl" rota publish --center all --month "$MONTH" 2>&1 | grep -v "^warning" || true
echo "== residents in care (fictitious): care plans by tier; one just home from hospital gets a visit within 24 h"
if ! "$BIN/zhibanctl" resident list --center xingfu | grep -q demo-r1; then
  "$BIN/zhibanctl" resident import ops/demo/residents.csv
  "$BIN/zhibanctl" resident change --id demo-r1 --kind hospital-discharge --note 出院回家
fi
echo
"$BIN/zhibanctl" status
cat <<TXT

zhiband is running (pid $(cat "$PIDFILE")); its log is var/zhiband.log.
zhiban-notify-console prints every notification to var/notifications.txt:
  tail -f var/notifications.txt
Try:
  export PATH=\$PWD/build/bin:\$PATH
  zhibanctl center list
  zhibanctl staff list --center xingfu
  zhibanctl -o json staff show --id linan
  zhibanctl events tail --follow          # then, in another terminal:
  zhibanctl staff update --id linan --skills social-security,elderly-care,medical
  zhibanctl calendar show --from $(date +%Y)-01-01 --to $(date +%Y)-01-07
  zhibanctl coverage show --center xingfu --date $(date +%F)
  zhibanctl coverage audit --year $(date +%Y)
  zhibanctl rota now                       # who is on duty, the backup, the leader
  zhibanctl rota show --center xingfu --date $(date +%F)
  zhibanctl rota mine --staff linan
  zhibanctl rota check --center xingfu --from $FROM --to $TO
  zhibanctl leave add --id demo-leave --staff linan --kind SICK --from $(date -d tomorrow +%F)
  zhibanctl export rota --staff linan --month $MONTH --format ics --out var/linan.ics
  zhibanctl resident list                  # masked cards, care due dates
  zhibanctl resident list --overdue
  zhibanctl resident show --id demo-r1 --full --purpose 核实联系方式   # audited
  zhibanctl visit list --center xingfu     # the discharge visit, and who has it
  zhibanctl visit request --resident demo-r4 --service elderly-allowance \
      --window $(date -d tomorrow +%F)T09:00:00+08:00/$(date -d tomorrow +%F)T17:00:00+08:00
  zhibanctl appointment book --center xingfu --room 会议室 --at $(date -d tomorrow +%F)T14:00:00+08:00 --duration 2h --for 幸福合唱团
  zhibanctl appointment list
  zhibanctl audit list
  curl -s 127.0.0.1:7680/metrics | grep zhiban_
Notifiers (plugins/README.md): check the example SMS and WeCom configs, then
route the demo's events through a config without sending anything:
  TENCENTCLOUD_SECRET_KEY=x zhiban-notify-sms --config plugins/sms/zhiban-notify-sms.toml check
  ZHIBAN_WECOM_ROBOT_KEY=x zhiban-notify-wecom --config plugins/wecom/zhiban-notify-wecom.toml check
  zhiban-notify-console --config plugins/wecom/zhiban-notify-wecom.toml --state-dir var/try --out /dev/stdout
  plugins/examples/python/subscriber.py --until-seq 20     # the bus from Python
Stop them with:  kill \$(cat var/notify-console.pid) \$(cat var/zhiband.pid)   (SIGTERM: finish, flush, exit 0)
TXT
