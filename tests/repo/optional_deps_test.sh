#!/usr/bin/env bash
# The optional dependencies are declared once in CMake (cmake/ZhibanOptional.cmake
# writes them to <build>/optional-deps.txt); this keeps the two other places that
# name them true: ops/install-deps.sh --optional installs exactly their Debian
# packages, and the README's "Optional dependencies" table lists every option.
#   optional_deps_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
table=$build/optional-deps.txt
[ -s "$table" ] || { echo "FAIL: $table is missing (configure first)"; exit 1; }

declared=$(awk -F'\t' '!/^#/ {n = split($2, p, ","); for (i = 1; i <= n; i++) print p[i]}' "$table" | sort -u)
listed=$("$src/ops/install-deps.sh" --list-optional | sort -u)
fail=0
for p in $declared; do
  grep -qx "$p" <<<"$listed" || { echo "FAIL: $p (CMake) is not in OPTIONAL_PACKAGES of ops/install-deps.sh"; fail=1; }
done
for p in $listed; do
  grep -qx "$p" <<<"$declared" || { echo "FAIL: $p (ops/install-deps.sh) is named by no zhiban_optional() in CMake"; fail=1; }
done
for opt in $(awk -F'\t' '!/^#/ {print $1}' "$table"); do
  grep -q "\`$opt\`" "$src/README.md" || { echo "FAIL: README.md does not list \`$opt\`"; fail=1; }
done
[ "$fail" = 0 ] && echo "optional deps: $(grep -vc '^#' "$table") declared, all installed by --optional and listed in README.md"
exit "$fail"
