#!/usr/bin/env bash
# Installs the Debian 12 packages zhiban builds and tests with. Idempotent:
# does nothing when they are all present. Needs root (or sudo).
#
#   ops/install-deps.sh                  # what every build needs (a new user's machine)
#   ops/install-deps.sh --optional       # also the optional packages (README "Optional dependencies")
#   ops/install-deps.sh --test           # also what only ops/test.sh needs (clang + libFuzzer, ccache)
#   ops/install-deps.sh --list-optional  # print the optional packages, one a line, and exit
#
# The build never needs an optional package: each is detected in one place,
# cmake/ZhibanOptional.cmake (ZHIBAN_WITH_<NAME>=AUTO|ON|OFF), and ops/test.sh
# builds and tests once with all of them hidden (ops/without-optional.sh), once
# with all of them required.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git curl ca-certificates
  libboost1.81-dev          # Asio + Beast; NOT libboost-dev (1.74 breaks in C++20 with GCC 12)
  libzmq3-dev cppzmq-dev
  libprotobuf-dev protobuf-compiler
  librocksdb-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev
  libssl-dev libcurl4-openssl-dev libical-dev
  libcctz-dev tzdata       # time zones of centers (system tz database)
  clang-format             # ops/test.sh checks the tree against .clang-format
  python3-zmq python3-protobuf
)

# Optional: never needed to build or test; each one enables what the README's
# "Optional dependencies" table says. Keep in step with cmake/ZhibanOptional.cmake
# (a test, repo_optional_deps, checks that every package it names is here).
OPTIONAL_PACKAGES=(
  libhiredis-dev redis-server   # zhiban-bench bus: the Redis Streams peer
  libnats-dev nats-server       # zhiban-bench bus: the NATS JetStream peer
  coinor-libcbc-dev             # zhiban-bench optimum: CBC, the integer-program optimum of a rota
)

# Test-only: the fuzz harnesses (fuzz/) build with clang's libFuzzer, ASan
# and UBSan; ccache makes a second build of the same sources (another clone,
# the next run) a cache hit (cmake/ZhibanCcache.cmake). ops/test.sh installs
# these, a user's build never needs them (quickstart uses ccache if present).
TEST_PACKAGES=(
  clang-14 libclang-rt-14-dev libfuzzer-14-dev
  ccache
)

want=("${PACKAGES[@]}")
for arg in "$@"; do
  case "$arg" in
    --optional) want+=("${OPTIONAL_PACKAGES[@]}") ;;
    --test) want+=("${TEST_PACKAGES[@]}") ;;
    --list-optional) printf '%s\n' "${OPTIONAL_PACKAGES[@]}"; exit 0 ;;
    *) echo "install-deps: unknown argument '$arg' (expected --optional, --test or --list-optional)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#want[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# apt's progress lines go to a log, shown only when apt fails.
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-deps: apt-get failed (above)" >&2
  exit 1
fi
# The benchmark starts its own redis-server / nats-server on free ports; the
# distribution's services would only hold the default ports.
for svc in redis-server nats-server; do
  if printf '%s\n' "${missing[@]}" | grep -qx "$svc"; then
    $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
  fi
done
echo "install-deps: installed ${#missing[@]} packages"
