#!/usr/bin/env bash
# Runs a command as on a new user's machine: every optional package
# (`ops/install-deps.sh --list-optional`) that is installed here is made
# invisible to it — its headers, libraries, CMake and pkg-config files and
# programs — so a build or test that quietly uses one fails here instead of on
# someone else's machine.
#
#   ops/without-optional.sh cmake -S . -B build ...
#
# How: a private mount namespace (unshare -m) in which /usr is an overlay whose
# upper layer holds a whiteout for each file of those packages (dpkg -L). Nothing
# outside the command sees it, and it goes away with the command. Needs root
# (through sudo when run as a user; the command itself runs as that user).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ $# -eq 0 ]; then
  echo "usage: ops/without-optional.sh COMMAND [ARG...]" >&2
  exit 2
fi

if [ "${ZHIBAN_WITHOUT_OPTIONAL_INNER:-}" = 1 ]; then
  # Inside the namespace, as root. $ZHIBAN_HIDE_DIR/list names the files to hide.
  mount --make-rprivate /
  scratch=$ZHIBAN_HIDE_DIR/mnt
  mkdir "$scratch"
  mount -t tmpfs -o mode=0700 zhiban-hide "$scratch"
  mkdir "$scratch/upper" "$scratch/work"
  while IFS= read -r f; do
    rel=${f#/usr/}
    mkdir -p "$scratch/upper/$(dirname "$rel")"
    mknod "$scratch/upper/$rel" c 0 0   # an overlayfs whiteout: "this file is not here"
  done <"$ZHIBAN_HIDE_DIR/list"
  mount -t overlay zhiban-hide -o "lowerdir=/usr,upperdir=$scratch/upper,workdir=$scratch/work" /usr
  while IFS= read -r f; do
    if [ -e "$f" ] || [ -L "$f" ]; then
      echo "without-optional: $f is still visible; refusing to run" >&2
      exit 1
    fi
  done <"$ZHIBAN_HIDE_DIR/list"
  unset ZHIBAN_WITHOUT_OPTIONAL_INNER ZHIBAN_HIDE_DIR
  if [ -n "${ZHIBAN_RUN_AS:-}" ]; then
    uid=${ZHIBAN_RUN_AS%:*} gid=${ZHIBAN_RUN_AS#*:}
    unset ZHIBAN_RUN_AS
    exec setpriv --reuid="$uid" --regid="$gid" --init-groups -- "$@"
  fi
  exec "$@"
fi

mapfile -t optional < <("$here/install-deps.sh" --list-optional)
installed=()
for p in "${optional[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && installed+=("$p")
done
if [ ${#installed[@]} -eq 0 ]; then
  echo "without-optional: none of the ${#optional[@]} optional packages is installed; nothing to hide"
  exec "$@"
fi

hide=$(mktemp -d /tmp/zhiban-hide.XXXXXX)
trap 'rm -rf "$hide"' EXIT
list=$hide/list
# Files only (directories stay, emptied); documentation does not matter to a build.
dpkg -L "${installed[@]}" | grep '^/usr/' | grep -Ev '^/usr/share/(doc|man|lintian)/' |
  while IFS= read -r f; do
    if [ -L "$f" ] || [ -f "$f" ]; then printf '%s\n' "$f"; fi
  done | sort -u >"$list"
echo "without-optional: hiding $(wc -l <"$list") files of ${installed[*]}"

export ZHIBAN_WITHOUT_OPTIONAL_INNER=1 ZHIBAN_HIDE_DIR=$hide
if [ "$(id -u)" -eq 0 ]; then
  # Not exec: the trap removes $hide when the command is done.
  unshare --mount --propagation private "$here/without-optional.sh" "$@"
else
  command -v sudo >/dev/null || { echo "without-optional: needs root or sudo (it mounts an overlay)" >&2; exit 1; }
  sudo --preserve-env ZHIBAN_RUN_AS="$(id -u):$(id -g)" \
    unshare --mount --propagation private "$here/without-optional.sh" "$@"
fi
