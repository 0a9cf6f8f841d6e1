#!/usr/bin/env bash
# From a fresh clone: install, build (Release), start zhiband on the embedded
# RocksDB in ./var/zhiban with a demo network, and show what to try next.
# Safe to run again: it reuses a running zhiband and re-imports the demo
# (an upsert, so nothing changes the second time).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BIN=$ROOT/build/bin
DATA=$ROOT/var/zhiban
LOG=$ROOT/var/zhiband.log
PIDFILE=$ROOT/var/zhiband.pid
STEPS=$ROOT/var/quickstart.log  # what each step printed; shown when one fails
KEYS=$ROOT/var/keys             # the demo's CURVE keys (owner-only)
mkdir -p "$DATA"
: >"$STEPS"
# zhibanctl talks to the local admin socket: no key, only this OS user can
# reach it (inside the owner-only data dir). TCP clients need keys.
export ZHIBAN_CTL=ipc://$DATA/ctl.sock

# One line per step: what it does, then "ok (N s)". A failing step prints
# what it said (from var/quickstart.log) and stops the script.
step() {
  local what=$1; shift
  printf "%-76s" "$what"
  local t0=$SECONDS
  echo "== $what" >>"$STEPS"
  if "$@" >>"$STEPS" 2>&1; then
    echo "ok ($((SECONDS - t0)) s)"
  else
    echo "FAILED"
    echo "--- the end of var/quickstart.log:" >&2
    tail -n 30 "$STEPS" >&2
    exit 1
  fi
}

build() {
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DZHIBAN_BUILD_TESTS=OFF \
        -DZHIBAN_BUILD_BENCH=OFF &&
  cmake --build build --target zhiband zhibanctl zhiban-notify-console zhiban-notify-sms \
        zhiban-notify-wecom
}

start_daemon() {
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "already running (pid $(cat "$PIDFILE"))"
  else
    nohup "$BIN/zhiband" --data-dir "$DATA" --local-admin >>"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
  fi
  # Ready when it answers (the request waits in ZeroMQ until zhiband binds).
  if ! "$BIN/zhibanctl" --timeout-ms 15000 status; then
    echo "zhiband did not answer; the end of its log:"
    tail -n 20 "$LOG"
    return 1
  fi
}

# Keys for what connects over TCP: the console notifier (role plugin) and
# you, for the bus (events tail) and zhibanctl over TCP (role operator).
demo_keys() {
  install -d -m 700 "$KEYS"
  local name role known
  known=$("$BIN/zhibanctl" key list) || return 1
  for pair in console:plugin you:operator; do
    name=${pair%%:*} role=${pair#*:}
    if [ -f "$KEYS/$name.key" ]; then
      grep -q "quickstart-$name " <<<"$known" && continue
      rm -f "$KEYS/$name.key"  # from an earlier data dir: zhiband does not know it
    fi
    "$BIN/zhibanctl" key create "quickstart-$name" --role "$role" --out "$KEYS/$name.key" \
      --note "ops/quickstart.sh" || return 1
  done
}

NPIDFILE=$ROOT/var/notify-console.pid
start_console() {
  if [ -f "$NPIDFILE" ] && kill -0 "$(cat "$NPIDFILE")" 2>/dev/null; then
    echo "already running (pid $(cat "$NPIDFILE"))"
    return 0
  fi
  # A first start begins at zhiband's next event ([bus] start = "now"): it
  # prints what happens from here on, not the history.
  nohup "$BIN/zhiban-notify-console" --state-dir "$ROOT/var/notify-console" \
    --key "$KEYS/console.key" --server-key "$DATA/zhiband.pub" \
    --out "$ROOT/var/notifications.txt" >>"$ROOT/var/notify-console.log" 2>&1 &
  echo $! >"$NPIDFILE"
}

demo_network() {
  "$BIN/zhibanctl" import centers ops/demo/centers.csv &&
  "$BIN/zhibanctl" import staff ops/demo/staff.csv
}

demo_policies() {
  "$BIN/zhibanctl" policy set --file ops/policies/community.toml --from 2024-01-01 || return 1
  for center in chaoyang-street xingfu heping yangguang; do
    "$BIN/zhibanctl" policy assign --center "$center" --policy community-standard --from 2024-01-01 ||
      return 1
  done
}

# This month from today and all of the next, so the demo has a rota on any
# day (on a month's last day too). Published: shifts that already began get
# no alarms; a reminder whose time has passed is sent once, marked late.
FROM=$(date +%F)
MONTH=$(date +%Y-%m)
NEXT=$(date -d "$(date +%Y-%m-01) +1 month" +%Y-%m)
TO=$(date -d "$NEXT-01 +1 month -1 day" +%F)
MONTHS=("$MONTH" "$NEXT")
NOTE=""
demo_rota() {
  "$BIN/zhibanctl" rota rotation set --id xingfu-weekend --center xingfu \
    --members linan,chenjing,zhaolei --period weekly --start "$FROM" --day-types WEEKEND || return 1
  if ! out=$("$BIN/zhibanctl" rota generate --center all --from "$FROM" --to "$TO" --fill 2>&1); then
    echo "$out"
    # In December next year's national calendar may not be out (or loaded)
    # yet: plan this month alone rather than guess next year's holidays.
    echo "$out" | grep -q "no national calendar is loaded" || return 1
    TO=$(date -d "$NEXT-01 -1 day" +%F)
    MONTHS=("$MONTH")
    NOTE="next month ($NEXT) needs its national calendar: zhibanctl calendar import ${NEXT%-*}.json"
    "$BIN/zhibanctl" rota generate --center all --from "$FROM" --to "$TO" --fill || return 1
  fi
  for month in "${MONTHS[@]}"; do
    # A month published on an earlier run is left as it is.
    out=$("$BIN/zhibanctl" rota publish --center all --month "$month" 2>&1) ||
      echo "$out" | grep -q "already published" || { echo "$out"; return 1; }
    echo "$out"
  done
}

demo_residents() {
  if ! "$BIN/zhibanctl" resident list --center xingfu | grep -q demo-r1; then
    "$BIN/zhibanctl" resident import ops/demo/residents.csv &&
    "$BIN/zhibanctl" resident change --id demo-r1 --kind hospital-discharge --note 出院回家
  fi
}

step "packages (ops/install-deps.sh)" ops/install-deps.sh
step "build (Release): zhiband, zhibanctl and the three notifiers" build
step "start zhiband (data var/zhiban, log var/zhiband.log)" start_daemon
step "CURVE keys for the console notifier and you (var/keys, owner-only)" demo_keys
step "start zhiban-notify-console (var/notifications.txt)" start_console
step "demo network: a street center, three communities, twelve staff" demo_network
step "opening policies: 365-day service for every demo center" demo_policies
step "duty rota to the end of next month, auto-filled, published" demo_rota
[ -z "$NOTE" ] || echo "  note: rota $FROM..$TO only; $NOTE"
step "residents in care (fictitious), one just home from hospital" demo_residents
echo
"$BIN/zhibanctl" status
cat <<TXT

zhiband is running (pid $(cat "$PIDFILE")); its log is var/zhiband.log.
zhiban-notify-console prints every notification to var/notifications.txt:
  tail -f var/notifications.txt
zhibanctl here talks to the local admin socket (no key: only your OS user can
reach it); over TCP every client needs a key (docs/OPERATIONS.md "Security").
Try:
  export PATH=\$PWD/build/bin:\$PATH
  export ZHIBAN_CTL=ipc://\$PWD/var/zhiban/ctl.sock                 # the local admin
  export ZHIBAN_KEY=\$PWD/var/keys/you.key ZHIBAN_SERVER_KEY=\$PWD/var/zhiban/zhiband.pub
  zhibanctl key list                       # who may connect over TCP, with what role
  zhibanctl --endpoint tcp://127.0.0.1:7600 status   # you, by your key (principal)
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
  zhiban-notify-console --config plugins/wecom/zhiban-notify-wecom.toml --state-dir var/try \\
      --key var/keys/console.key --server-key var/zhiban/zhiband.pub \\
      --start beginning --out /dev/stdout   # a new notifier starts from now unless told
  plugins/examples/python/subscriber.py --until-seq 20 \\
      --key var/keys/you.key --server-key var/zhiban/zhiband.pub   # the bus from Python
Stop them with:  kill \$(cat var/notify-console.pid) \$(cat var/zhiband.pid)   (SIGTERM: finish, flush, exit 0)
TXT
