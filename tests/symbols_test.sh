#!/bin/sh
# symbols_test.sh LIBKBSEARCH_SO KBSEARCH_H
#
# The shared library must export exactly the functions kbsearch.h declares:
# a symbol the header does not declare (an internal helper, a C++ template or
# typeinfo) would silently become part of the ABI, and a declared function
# that is not exported would fail only when some program first calls it.
set -eu
so=$1
header=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kbs-symbols-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Undefined symbols and versioned references to other libraries are not ours;
# --defined-only leaves exactly what this library offers.
nm -D --defined-only "$so" | awk '{ print $NF }' | sed 's/@.*//' | LC_ALL=C sort -u >"$tmp/exported"

# Every declaration starts "KBS_API <type> kbs_name(" on one line (the header's
# style); the #define lines of KBS_API itself have no '('.
grep -E '^[[:space:]]*KBS_API[^(]*\(' "$header" |
  sed -E 's/^[^(]*[^A-Za-z0-9_](kbs_[A-Za-z0-9_]+)[[:space:]]*\(.*/\1/' |
  LC_ALL=C sort -u >"$tmp/declared"

# A declaration the sed could not read would show up here as a whole line.
if grep -qv '^kbs_[A-Za-z0-9_]*$' "$tmp/declared"; then
  echo "symbols_test: cannot read these declarations in $header:" >&2
  grep -v '^kbs_[A-Za-z0-9_]*$' "$tmp/declared" >&2
  exit 1
fi
if [ ! -s "$tmp/declared" ]; then
  echo "symbols_test: no KBS_API function found in $header" >&2
  exit 1
fi

status=0
extra=$(LC_ALL=C comm -23 "$tmp/exported" "$tmp/declared")
missing=$(LC_ALL=C comm -13 "$tmp/exported" "$tmp/declared")
if [ -n "$extra" ]; then
  echo "symbols_test: $so exports symbols that kbsearch.h does not declare:" >&2
  echo "$extra" | sed 's/^/  /' >&2
  status=1
fi
if [ -n "$missing" ]; then
  echo "symbols_test: kbsearch.h declares functions that $so does not export:" >&2
  echo "$missing" | sed 's/^/  /' >&2
  status=1
fi
[ $status -eq 0 ] && echo "symbols_test: $(wc -l <"$tmp/declared") functions, exported exactly as declared"
exit $status
