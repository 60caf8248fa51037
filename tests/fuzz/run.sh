#!/bin/sh
# Runs one libFuzzer harness of tests/fuzz (see README.md there).
#
#   sh tests/fuzz/run.sh BUILD_DIR TARGET [SECONDS]
#
# TARGET is query, search, article, tokenize, docstore, snippet or cli. The corpus
# lives in $KBS_FUZZ_WORK/TARGET (default /tmp/kbsearch-fuzz/TARGET), never
# in the tree: it is seeded from tests/fuzz/seeds/TARGET and, for the
# targets that read articles, from corpus/ and tests/fixtures/articles, and
# grows from run to run. Crashes are written there as crash-*, leak-*,
# timeout-* or oom-*. One process on one core, at low priority.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: sh tests/fuzz/run.sh BUILD_DIR TARGET [SECONDS]" >&2
  exit 2
fi
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$1" && pwd)
target=$2
secs=${3:-300}
bin="$build/tests/fuzz/fuzz_$target"
[ -x "$bin" ] || { echo "no $bin: configure with -DKBS_FUZZ=ON and build it" >&2; exit 2; }
work=${KBS_FUZZ_WORK:-/tmp/kbsearch-fuzz}/$target
mkdir -p "$work/corpus"

if [ -d "$src/tests/fuzz/seeds/$target" ]; then
  cp "$src/tests/fuzz/seeds/$target"/* "$work/corpus/"
fi
case $target in
article | tokenize)
  # Every article file of the project, under a name per file.
  for f in "$src"/corpus/*/*.txt "$src"/tests/fixtures/articles/*.txt; do
    cp "$f" "$work/corpus/$(basename "$(dirname "$f")")_$(basename "$f")"
  done
  ;;
esac
dict=""
[ -f "$src/tests/fuzz/$target.dict" ] && dict="-dict=$src/tests/fuzz/$target.dict"

cd "$work"
# shellcheck disable=SC2086 # $dict is one word or none
exec nice -n 10 "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
  -artifact_prefix="$work/" $dict "$work/corpus"
