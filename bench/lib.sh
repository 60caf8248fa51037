# shellcheck shell=bash
# bench/lib.sh - what the benchmark scripts share: where things are, the
# Release build, and the data prepared in the scratch folder. Sourced (not
# run) by bench/index and bench/query, after they set PROG to their name for
# messages. See bench/README.md.
#
# The corpora are read from the shared folder beside the project and only
# hard-linked (or copied) into the scratch folder, never into the project.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CORPUS=${KBS_CORPUS_DIR:-$ROOT/../shared/corpus}
SCRATCH=${KBS_BENCH_DIR:-/tmp/kbs-bench}
BUILD=${KBS_BENCH_BUILD:-$ROOT/build-bench}

die() {
    echo "$PROG: $*" >&2
    exit 1
}

# Release, tests off: only the targets named and what they link. The log
# goes to the scratch folder, named after the first target.
build_targets() {
    local log=$SCRATCH/build-$1.log
    mkdir -p "$SCRATCH"
    if [ ! -f "$BUILD/CMakeCache.txt" ]; then
        cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DKBS_TESTS=OFF >"$log" 2>&1 ||
            { tail -n 30 "$log" >&2; die "cmake configure failed (log: $log)"; }
    fi
    local t args=()
    for t in "$@"; do args+=(--target "$t"); done
    cmake --build "$BUILD" -j2 "${args[@]}" >"$log" 2>&1 ||
        { tail -n 30 "$log" >&2; die "build failed (log: $log)"; }
}

# The file list every engine but kbsearch reads; kbsearch walks the folder
# itself, and both follow the same rule (regular files, no dot-names).
write_list() {
    local dest=$1 list=$2
    find "$dest" -type f ! -name '.*' -print | LC_ALL=C sort >"$list.tmp"
    mv "$list.tmp" "$list"
}

# Puts the files named in $names (NUL-separated, relative to $from) under
# $dest, keeping their paths. Hard links cost nothing; a copy is the fallback
# when linking is refused (another file system, or protected_hardlinks on a
# read-only share).
link_files() {
    local from=$1 names=$2 dest=$3
    rm -rf "$dest"
    mkdir -p "$dest"
    if ! (cd "$from" && xargs -0 cp --parents --link -t "$dest" <"$names") 2>/dev/null; then
        # Start again: copying over a hard link would write into the original.
        rm -rf "$dest"
        mkdir -p "$dest"
        (cd "$from" && xargs -0 cp --parents -t "$dest" <"$names")
    fi
    rm -f "$names"
}

# Only the 2,225 articles: kbs_index_dir would also take the corpus's
# README.TXT, and every engine must see the same documents.
prepare_bbc() {
    local dest=$SCRATCH/data/bbc
    [ -f "$dest.list" ] && return
    [ -d "$CORPUS/bbc" ] || die "no BBC corpus at $CORPUS/bbc"
    mkdir -p "$SCRATCH/data"
    echo "$PROG: preparing $dest" >&2
    (cd "$CORPUS/bbc" && find . -type f -name '*.txt' -print0) >"$dest.names"
    link_files "$CORPUS/bbc" "$dest.names" "$dest"
    write_list "$dest" "$dest.list"
}

unpack_reuters() {
    local src=$SCRATCH/reuters-src
    [ -f "$src.done" ] && return
    local archives=("$CORPUS"/reuters-financial/*.tar.zst)
    [ -f "${archives[0]}" ] || die "no Reuters archives in $CORPUS/reuters-financial"
    rm -rf "$src"
    mkdir -p "$src"
    for a in "${archives[@]}"; do
        echo "$PROG: unpacking $(basename "$a") into $src" >&2
        tar --zstd -xf "$a" -C "$src"
    done
    touch "$src.done"
}

# The first N non-empty files in sorted path order, so that a given N always
# means the same documents.
prepare_reuters() {
    local n=$1 dest=$SCRATCH/data/reuters-$1
    [ -f "$dest.list" ] && return
    unpack_reuters
    mkdir -p "$SCRATCH/data"
    echo "$PROG: preparing $dest" >&2
    (cd "$SCRATCH/reuters-src" && find . -type f -size +0c -print | LC_ALL=C sort |
        awk -v n="$n" 'n == "all" || NR <= n + 0' | tr '\n' '\0') >"$dest.names"
    link_files "$SCRATCH/reuters-src" "$dest.names" "$dest"
    write_list "$dest" "$dest.list"
    local got
    got=$(wc -l <"$dest.list")
    [ "$n" = all ] || [ "$got" -eq "$n" ] ||
        echo "$PROG: warning: only $got non-empty Reuters files, not $n" >&2
}
