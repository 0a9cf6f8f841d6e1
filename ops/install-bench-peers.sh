#!/usr/bin/env bash
# Optional: the peers `zhiban-bench bus` compares zhiband with — Redis Streams
# and NATS JetStream (servers and C clients, Debian packages). The benchmark
# starts its own server processes on free ports; the distribution's services
# are stopped and disabled so they do not hold the default ports.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends redis-server nats-server libhiredis-dev libnats-dev
for svc in redis-server nats-server; do
  $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
done
echo "install-bench-peers: done; rebuild (cmake --build build) to enable the peer cases"
