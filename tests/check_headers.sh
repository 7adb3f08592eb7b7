#!/bin/sh
# tests/check_headers.sh - every header compiles on its own.
#
# usage: check_headers.sh SRCROOT 'EXTRA CFLAGS' CC [CC ARG]...
#
# For each *.h under core/ net/ storage/ simd/ tools/ of SRCROOT (found
# at each run, so headers added later are checked too), compiles with CC
# a translation unit holding only `#include "that/header.h"`, with the
# project's flags and EXTRA CFLAGS (the dependencies' include directories,
# split on spaces). Prints FAIL, the header's name and the compiler's
# messages for each header that needs something it does not include;
# exits 1 if any did.
set -u

if [ $# -lt 3 ]; then
  echo "usage: $0 SRCROOT 'EXTRA CFLAGS' CC [CC ARG]..." >&2
  exit 2
fi
root=$1
extra=$2
shift 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

headers=$(cd "$root" && find core net storage simd tools -name '*.h' | sort)
if [ -z "$headers" ]; then
  echo "no headers under $root" >&2
  exit 2
fi
n=0
bad=0
for h in $headers; do
  n=$((n + 1))
  printf '#include "%s"\n' "$h" >"$tmp/tu.c"
  # shellcheck disable=SC2086 # extra holds several flags
  if ! out=$("$@" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$root" \
      $extra -c -o "$tmp/tu.o" "$tmp/tu.c" 2>&1); then
    bad=$((bad + 1))
    printf 'FAIL %s is not self-contained:\n%s\n' "$h" "$out"
  fi
done
echo "$((n - bad)) of $n headers compile on their own"
[ "$bad" -eq 0 ]
