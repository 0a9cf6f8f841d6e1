#!/usr/bin/env bash
# The layering of daemon/ is written once, in the tables of daemon/README.md
# ("What each folder may include"); this keeps the code true to them. Every
# #include of a .h/.cpp under daemon/<folder>/ must name the folder itself, a
# zhiban folder the table allows it, a library it allows (recognised by the
# library table's headers; "(only `f.cpp`)" limits a library to those files)
# or the C/C++ standard library. A header of no library in the table fails too.
# To fix a failure: move the code to a folder that may use what it includes, or,
# if the layering itself should change, change daemon/README.md's table (and say
# why in the commit); a new library goes into the library table.
#   includes_test.sh SOURCE_DIR
# shellcheck disable=SC2016  # the backticks in quotes are markdown's, not expansions
set -euo pipefail
src=$1
readme=$src/daemon/README.md
[ -s "$readme" ] || { echo "FAIL: $readme is missing"; exit 1; }

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; s=${s%"${s##*[![:space:]]}"}; printf '%s' "$s"; }
# Cells of a markdown table row, one per line, trimmed.
cells() { local row=${1#|}; row=${row%|}; local IFS='|' c; for c in $row; do trim "$c"; echo; done; }
# Rows of the table whose header row starts with $1 (up to the first line that is no row).
table() { awk -v h="$1" 'index($0, h) == 1 {on = 1; getline; next} on && !/^\|/ {exit} on' "$readme"; }

fail=0
declare -A folders libs only lib_of_exact
prefixes=()  # "prefix<TAB>library", prefixes ending in /

# The library table: library -> headers.
while IFS= read -r row; do
  mapfile -t c < <(cells "$row")
  lib=${c[0]}
  libs[$lib]=1
  for h in $(grep -o '`[^`]*`' <<<"${c[1]}" | tr -d '`'); do
    if [[ $h == */ ]]; then prefixes+=("$h"$'\t'"$lib"); else lib_of_exact[$h]=$lib; fi
  done
done < <(table '| library | headers |')
[ "${#libs[@]}" -gt 0 ] || { echo "FAIL: daemon/README.md has no '| library | headers |' table"; exit 1; }

# The folder table: folder -> folders and libraries it may include.
while IFS= read -r row; do
  mapfile -t c < <(cells "$row")
  f=$(tr -d '`/' <<<"${c[0]}")
  [ -d "$src/daemon/$f" ] || { echo "FAIL: daemon/README.md has a row for \`$f/\`, which does not exist"; fail=1; }
  allowed=" $f "
  for g in $(grep -o '`[^`]*`' <<<"${c[1]}" | tr -d '`/'); do allowed+="$g "; done
  folders[$f]=$allowed
  # Commas split the libraries, not the files inside "(only ...)".
  IFS=',' read -ra items <<<"$(sed -E ':a;s/(\([^)]*),/\1 /;ta' <<<"${c[2]}")"
  for item in "${items[@]}"; do
    item=$(trim "$item")
    [ -n "$item" ] || continue
    files='*'
    if [[ $item =~ ^(.*[^[:space:]])[[:space:]]*\(only[[:space:]]+(.*)\)$ ]]; then
      item=${BASH_REMATCH[1]}
      files=" $(grep -o '`[^`]*`' <<<"${BASH_REMATCH[2]}" | tr -d '`' | tr '\n' ' ')"
    fi
    [ -n "${libs[$item]:-}" ] || { echo "FAIL: daemon/README.md allows \`$f/\` $item, which its library table does not list"; fail=1; }
    only["$f|$item"]=$files
  done
done < <(table '| folder | may include (zhiban folders) | may include (libraries) |')
[ "${#folders[@]}" -gt 0 ] || { echo "FAIL: daemon/README.md has no '| folder | may include (zhiban folders) | ...' table"; exit 1; }

# The C/C++ standard library: C++ headers have no extension; the C ones are listed.
c_std=" assert.h complex.h ctype.h errno.h fenv.h float.h inttypes.h iso646.h limits.h locale.h math.h
  setjmp.h signal.h stdalign.h stdarg.h stdatomic.h stdbool.h stddef.h stdint.h stdio.h stdlib.h
  stdnoreturn.h string.h tgmath.h threads.h time.h uchar.h wchar.h wctype.h "
# library_of HEADER sets lib to its library's name, "std", or "" if unknown
# (a variable, not output: a subshell per include made this test take 8 s).
library_of() {
  local h=$1 entry
  lib=""
  if [[ $h =~ ^[a-z_0-9]+$ ]] || [[ $c_std == *[[:space:]]"$h"[[:space:]]* ]]; then lib=std; return; fi
  if [ -n "${lib_of_exact[$h]:-}" ]; then lib=${lib_of_exact[$h]}; return; fi
  for entry in "${prefixes[@]}"; do
    [[ $h == "${entry%%$'\t'*}"* ]] && { lib=${entry#*$'\t'}; return; }
  done
}

nfiles=0 nincludes=0
for dir in "$src"/daemon/*/; do
  f=$(basename "$dir")
  if [ -z "${folders[$f]:-}" ]; then
    echo "FAIL: daemon/$f/ has no row in daemon/README.md's table of what each folder may include"
    fail=1; continue
  fi
  while IFS= read -r -d '' file; do
    rel=${file#"$src"/}
    name=${file#"$dir"}
    nfiles=$((nfiles + 1))
    while IFS= read -r hit; do
      line=${hit%%:*}
      [[ $hit =~ \#[[:space:]]*include[[:space:]]*([\"\<])([^\"\>]+)[\"\>] ]] || continue
      nincludes=$((nincludes + 1))
      open=${BASH_REMATCH[1]} h=${BASH_REMATCH[2]}
      if [ "$open" = '<' ]; then shown="<$h>"; else shown="\"$h\""; fi
      if [ "$open" = '"' ] && [[ $h == daemon/* ]]; then
        g=${h#daemon/}; g=${g%%/*}
        [[ ${folders[$f]} == *" $g "* ]] && continue
        echo "$rel:$line includes $shown ($g/), which daemon/README.md does not allow $f/ to use"
        fail=1; continue
      fi
      library_of "$h"
      [ "$lib" = std ] && continue
      if [ -z "$lib" ]; then
        echo "$rel:$line includes $shown, a header of no library in daemon/README.md: add its library and headers to the library table there"
        fail=1; continue
      fi
      files=${only["$f|$lib"]:-}
      if [ -z "$files" ]; then
        echo "$rel:$line includes $shown ($lib), which daemon/README.md does not allow $f/ to use"
        fail=1
      elif [ "$files" != '*' ] && [[ $files != *" $name "* ]]; then
        where=$(trim "$files"); where=${where// /, }
        echo "$rel:$line includes $shown ($lib), which daemon/README.md does not allow $f/ to use outside $where"
        fail=1
      fi
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$file" || true)
  done < <(find "$dir" -type f \( -name '*.h' -o -name '*.cpp' \) -print0 | sort -z)
done

[ "$fail" = 0 ] && echo "daemon includes: $nfiles files, $nincludes includes, all allowed by daemon/README.md (${#folders[@]} folders, ${#libs[@]} libraries)"
exit "$fail"
