#!/bin/bash
# crash_test.sh - nothing indexed is ever lost.
#
#   bash crash_test.sh KBSEARCH
#
# 1. Crashes: indexes a generated archive of a few thousand small articles,
#    killing the indexer with SIGKILL at random moments and starting it again
#    (when a run gets to the end, some articles are changed, removed and
#    added, so that later kills also land in updates). After every kill:
#    'stats' opens the index, 'check' passes, and a sample of the articles it
#    holds are found by search and shown byte for byte as one of the versions
#    their file has had. At the end the index equals a clean index of the same
#    folder: the same articles, totals and search results.
# 2. A full disk: the index lives on a small tmpfs (or, where mounting is not
#    allowed, under a file size limit: ulimit -f) that fills in the middle of the run.
#    The indexer must fail with a message that names the index folder, the
#    cause and what to do, without crashing; the index must open and pass
#    'check' at its last commit; and with room again a run must complete.
#
# Deterministic for a given seed. Environment (all optional):
#   KBS_CRASH_SEED      the seed (default 20240501)
#   KBS_CRASH_ARTICLES  articles to generate (default 3000)
#   KBS_CRASH_KILLS     kills of a running indexer to reach (default 22)
#   KBS_CRASH_SAMPLE    articles searched and shown after each kill (default 50)
#   KBS_CRASH_PHASES    "crash diskfull" (default), or one of them
#   KBS_DISKFULL_MODE   auto (tmpfs, else ulimit; the default), tmpfs, ulimit
#   KBS_CRASH_KEEP      non-empty: keep the work folder, for a post-mortem
# Exit status: 0 all passed, 1 a check failed, 2 usage or setup error.

set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: bash crash_test.sh PATH-TO-KBSEARCH" >&2
    exit 2
fi
KBS=$(realpath "$1")
SEED=${KBS_CRASH_SEED:-20240501}
NART=${KBS_CRASH_ARTICLES:-3000}
WANT_KILLS=${KBS_CRASH_KILLS:-22}
SAMPLE=${KBS_CRASH_SAMPLE:-50}
PHASES=${KBS_CRASH_PHASES:-crash diskfull}
DISKFULL_MODE=${KBS_DISKFULL_MODE:-auto}
RANDOM=$SEED

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kbs-crash-XXXXXX") || exit 2
CORPUS=$WORK/corpus       # the articles, as they are now
VERSIONS=$WORK/versions   # every version each article has had, by number
DB=$WORK/index            # the index that gets killed
INDEXER_PID=
MOUNTED=

kills=0
checks=0
failures=0
started=$SECONDS

cleanup() {
    if [ -n "$INDEXER_PID" ]; then
        kill -9 "$INDEXER_PID" 2>/dev/null
        wait "$INDEXER_PID" 2>/dev/null
    fi
    [ -n "$MOUNTED" ] && umount "$MOUNTED" 2>/dev/null
    if [ -n "${KBS_CRASH_KEEP:-}" ]; then
        echo "work folder kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

say() { echo "crash_test: $*"; }
fail() {
    echo "crash_test: FAIL: $*" >&2
    failures=$((failures + 1))
}

# R = a random integer in [0, n): two draws of bash's 15-bit generator. (Not
# echoed: in a $(...) subshell the draws would not advance our generator.)
rand() { R=$(((RANDOM * 32768 + RANDOM) % $1)); }

# ---- the archive ---------------------------------------------------------------------------

# Writes the articles listed on stdin as "ID VERSION" lines to their files and
# to the versions folder.
# Every article has the word kbsmarker (so that one query lists them all) and
# a code word of its own made of consonants only ("kq" and three more), which
# no stemmer changes, so that a search for it finds exactly that article.
# The text is made up from a word list by a generator seeded per article and
# version.
write_articles() { # <"ID VERSION" lines
    awk -v seed="$SEED" -v corpus="$CORPUS" -v versions="$VERSIONS" '
    BEGIN {
        nw = split("harbour ledger orchard tariff glacier council lantern quarry meadow " \
            "cabinet voyage furnace pension granite thicket beacon parcel senate willow " \
            "kettle ferry summit pigment tunnel ministry export freight drought rainfall " \
            "festival stadium league striker verdict tribunal budget deficit shipyard " \
            "satellite reactor vaccine clinic teacher campus railway airport bridge " \
            "typhoon harvest rice fishery coastline border envoy treaty summit talks " \
            "growth inflation index shares bond yield currency market factory worker " \
            "union wage strike subway tower museum gallery orchestra film award novel " \
            "poet village mayor governor province island volcano forest river valley", w, " ")
        consonants = "bcdfghjkmnpqrtvwxz"
    }
    function code(i,   s, k) {
        s = ""
        for (k = 0; k < 3; k++) {
            s = substr(consonants, i % 18 + 1, 1) s
            i = int(i / 18)
        }
        return "kq" s
    }
    # Park-Miller: exact in the doubles awk computes with (the rand() of
    # mawk gives near-identical texts for nearby seeds).
    function rnd() { x = (x * 16807) % 2147483647; return x / 2147483647 }
    function word() { return w[int(rnd() * nw) + 1] }
    function put(s) { printf "%s", s > file; printf "%s", s > copy }
    {
        id = $1 + 0
        version = $2 + 0
        x = (seed + id * 7919 + version * 104729) % 2147483646 + 1
        for (k = 0; k < 3; k++)
            rnd()
        file = sprintf("%s/s%02d/art-%05d.txt", corpus, id % 30, id)
        copy = sprintf("%s/%d.%d", versions, id, version)
        title = word()
        title = toupper(substr(title, 1, 1)) substr(title, 2) " " word() " and the " word()
        put(title "\n\n")
        put("Version " version " of a made-up report, code " code(id) \
            ", filed under kbsmarker.\n\n")
        np = 2 + int(rnd() * 3)
        for (p = 0; p < np; p++) {
            line = ""
            ns = 2 + int(rnd() * 3)
            for (s = 0; s < ns; s++) {
                sentence = word()
                sentence = toupper(substr(sentence, 1, 1)) substr(sentence, 2)
                nws = 6 + int(rnd() * 10)
                for (k = 1; k < nws; k++)
                    sentence = sentence " " word()
                line = line (s ? " " : "") sentence "."
            }
            put(line "\n\n")
        }
        close(file)
        close(copy)
    }' >/dev/null
}

# CODE = the code word of article $1 (as write_articles makes it). Results go
# in variables, not through $(...): a subshell each would be slow.
code_of() {
    local i=$1 k c=bcdfghjkmnpqrtvwxz
    CODE=
    for k in 1 2 3; do
        CODE=${c:i % 18:1}$CODE
        i=$((i / 18))
    done
    CODE=kq$CODE
}

# ID = the article number of a path.
id_of() { # PATH
    local b=${1##*/art-}
    b=${b%.txt}
    ID=$((10#$b))
}

# The folders of the archive.
make_folders() {
    local i
    for ((i = 0; i < 30; i++)); do
        mkdir -p "$CORPUS/$(printf s%02d "$i")"
    done
    mkdir -p "$VERSIONS"
}

# ---- checks ------------------------------------------------------------------------------------

# Checks the index in $1: it opens, 'check' passes, every article it lists is
# one, and $SAMPLE of them, picked at random, are found by their code word
# and shown byte for byte as a version of their file. $2 says when (for
# messages).
check_index() { # DB WHEN
    local db=$1 when=$2 out docs paths n
    if ! out=$("$KBS" --db "$db" stats --json 2>&1); then
        fail "$when: stats does not open the index: $out"
        return 1
    fi
    docs=$(sed -n 's/.*"documents":\([0-9]*\).*/\1/p' <<<"$out")
    if ! out=$("$KBS" --db "$db" check 2>&1); then
        fail "$when: check found problems: $out"
        return 1
    fi
    [ "$docs" = 0 ] && { checks=$((checks + 1)); return 0; }

    paths=$("$KBS" --db "$db" search --json --limit 10000 kbsmarker 2>/dev/null |
        sed -n 's/.*"path":"\([^"]*\)".*/\1/p' | sort)
    n=$(grep -c . <<<"$paths")
    if [ "$n" != "$docs" ] || [ "$(uniq <<<"$paths" | grep -c .)" != "$docs" ]; then
        fail "$when: stats says $docs articles, a search for all of them lists $n"
        return 1
    fi

    # A sample, each found by its own word: one query for all of them.
    local sample=() codes=() p i seed=$RANDOM
    mapfile -t sample < <(awk -v seed="$seed" -v k="$SAMPLE" 'BEGIN { srand(seed) }
        { a[NR] = $0 } END {
            for (i = 1; i <= NR && i <= k; i++) {
                j = i + int(rand() * (NR - i + 1)); t = a[i]; a[i] = a[j]; a[j] = t
                print a[i]
            } }' <<<"$paths")
    for p in "${sample[@]}"; do
        id_of "$p"
        code_of "$ID"
        codes+=("$CODE")
    done
    local query=${codes[0]} found
    for ((i = 1; i < ${#codes[@]}; i++)); do
        query+=" OR ${codes[i]}"
    done
    found=$("$KBS" --db "$db" search --json --limit 200 "$query" 2>/dev/null |
        sed -n 's/.*"path":"\([^"]*\)".*/\1/p' | sort)
    for p in "${sample[@]}"; do
        id_of "$p"
        if ! grep -qxF "$p" <<<"$found"; then
            code_of "$ID"
            fail "$when: $p is in the index but its word $CODE does not find it"
            return 1
        fi
        if ! "$KBS" --db "$db" show "$p" >"$WORK/shown" 2>"$WORK/show.err"; then
            fail "$when: show $p failed: $(cat "$WORK/show.err")"
            return 1
        fi
        local v ok=
        for v in "$VERSIONS/$ID".*; do
            if cmp -s "$WORK/shown" "$v"; then
                ok=1
                break
            fi
        done
        if [ -z "$ok" ]; then
            fail "$when: show $p returns bytes that no version of the file ever had"
            return 1
        fi
    done
    checks=$((checks + 1))
    return 0
}

# The figures and the answers of two indexes of the same folder agree. (Not
# their sizes: the store's compression dictionary is trained on the articles
# of the first run that gets to train it, which differs from run to run.)
compare_indexes() { # DB CLEAN
    local a=$1 b=$2 q fa fb strip='s/"index":"[^"]*",//; s/"\(store\|index\)_bytes":[0-9]*,//g'
    fa=$("$KBS" --db "$a" stats --json | sed "$strip")
    fb=$("$KBS" --db "$b" stats --json | sed "$strip")
    [ "$fa" = "$fb" ] || fail "the final index differs from a clean one: $fa vs $fb"
    local c7 c1234
    code_of 7
    c7=$CODE
    code_of 1234
    c1234=$CODE
    for q in kbsmarker "harbour tariff" '"version 0 of"' "typhoon OR volcano -river" \
        "title:summit" "$c7 OR $c1234"; do
        fa=$("$KBS" --db "$a" search --json --limit 10000 "$q" 2>/dev/null |
            sed -n 's/.*"path":"\([^"]*\)".*"score":\([^,]*\),.*/\2 \1/p' | sort)
        fb=$("$KBS" --db "$b" search --json --limit 10000 "$q" 2>/dev/null |
            sed -n 's/.*"path":"\([^"]*\)".*"score":\([^,]*\),.*/\2 \1/p' | sort)
        if [ "$fa" != "$fb" ]; then
            fail "search '$q' answers differently from a clean index"
        elif [ -z "$fa" ]; then
            fail "search '$q' finds nothing: the comparison proves nothing"
        fi
    done
}

# Runs the indexer to its end (in the foreground); returns its exit status.
index_now() { # DB
    "$KBS" --db "$1" index "$CORPUS" >"$WORK/index.out" 2>"$WORK/index.err"
}

# ---- phase 1: kill -9 ---------------------------------------------------------------------------

# After a run that completed: change 5% of the articles, remove 1%, add 1%.
mutate() {
    local n=${#live[@]} k id list='' removed=0 added file
    # (Lists, not loops piped into write_articles: a pipe's loop runs in a
    # subshell, and what it sets would be lost.)
    for ((k = 0; k < n / 20; k++)); do
        rand "$n"
        id=${live[R]}
        version[id]=$((version[id] + 1))
        list+="$id ${version[id]}"$'\n'
    done
    printf '%s' "$list" | write_articles
    for ((k = 0; k < n / 100; k++)); do
        rand "$n"
        id=${live[R]}
        printf -v file '%s/s%02d/art-%05d.txt' "$CORPUS" $((id % 30)) "$id"
        if [ -f "$file" ]; then
            rm -f "$file"
            removed=$((removed + 1))
        fi
    done
    added=$((n / 100))
    list=
    for ((k = 0; k < added; k++)); do
        list+="$((next_id + k)) 0"$'\n'
    done
    printf '%s' "$list" | write_articles
    next_id=$((next_id + added))
    # The live ids, and their versions, from the files and the versions folder.
    mapfile -t live < <(find "$CORPUS" -name 'art-*.txt' | sed 's/.*art-0*\([0-9]\)/\1/; s/\.txt$//' | sort -n)
    for id in "${live[@]}"; do
        [ -n "${version[id]:-}" ] || version[id]=0
    done
    say "changed $((n / 20)), removed $removed, added $added articles"
}

phase_crash() {
    say "generating $NART articles (seed $SEED)"
    make_folders
    declare -ga live=() version=()
    local i list=
    for ((i = 0; i < NART; i++)); do
        live+=("$i")
        version[i]=0
        list+="$i 0"$'\n'
    done
    printf '%s' "$list" | write_articles
    next_id=$NART

    # The kill delays are drawn from the length of a whole run: first of the
    # first indexing, then of the first run after each round of changes.
    local ms0 ms1 range
    ms0=$(date +%s%3N)
    if ! index_now "$WORK/timing"; then
        fail "a plain run of the indexer failed: $(cat "$WORK/index.err")"
        return
    fi
    ms1=$(date +%s%3N)
    range=$((ms1 - ms0))
    rm -rf "$WORK/timing"
    say "indexing them all takes $range ms; killing at random moments"

    # After four kills in a row a run is left to finish, so that the kills
    # spread over first indexing, updates and removals alike.
    local round=0 rc delay completed=0 fresh=1 killer t0=$SECONDS streak=0
    while [ "$kills" -lt "$WANT_KILLS" ] && [ $((SECONDS - t0)) -lt 900 ]; do
        round=$((round + 1))
        rand $((range * 11 / 10 + 10))
        delay=$R
        [ "$streak" -ge 4 ] && delay=$((3600 * 1000))
        ms0=$(date +%s%3N)
        "$KBS" --db "$DB" index "$CORPUS" >"$WORK/index.out" 2>"$WORK/index.err" &
        INDEXER_PID=$!
        # The killer: TERM (once the run is over) stops it and its sleep, which
        # must not outlive it holding our output open.
        (
            trap 'kill "$nap" 2>/dev/null; exit 0' TERM
            sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))" &
            nap=$!
            wait "$nap"
            kill -9 "$INDEXER_PID" 2>/dev/null
        ) >/dev/null 2>&1 &
        killer=$!
        { wait "$INDEXER_PID"; } 2>/dev/null # (bash would report "Killed")
        rc=$?
        ms1=$(date +%s%3N)
        kill "$killer" 2>/dev/null
        wait "$killer" 2>/dev/null
        INDEXER_PID=
        if [ "$rc" = 137 ]; then
            kills=$((kills + 1))
            streak=$((streak + 1))
            fresh=0
            check_index "$DB" "after kill $kills (round $round, at $delay ms)"
        elif [ "$rc" = 0 ]; then
            completed=$((completed + 1))
            streak=0
            [ "$fresh" = 1 ] && range=$((ms1 - ms0))
            check_index "$DB" "after a complete run (round $round)" && mutate
            fresh=1
        elif grep -q "being updated by" "$WORK/index.err"; then
            sleep 0.05 # the killed writer's lock is still being released
        else
            fail "round $round: the indexer failed (exit $rc): $(cat "$WORK/index.err")"
            return
        fi
        [ "$failures" -gt 0 ] && return
    done
    say "$kills kills in $round rounds ($completed runs completed), $checks checks passed"
    [ "$kills" -ge "$WANT_KILLS" ] || fail "only $kills kills in the time allowed, not $WANT_KILLS"

    if ! index_now "$DB"; then
        fail "the last run failed: $(cat "$WORK/index.err")"
        return
    fi
    check_index "$DB" "after the last run"
    local left
    left=$(find "$WORK" -maxdepth 1 -type d -name 'index?*' -printf '%f ')
    [ -z "$left" ] || fail "the last run left folders beside the index: $left"
    if ! index_now "$WORK/clean"; then
        fail "a clean index of the same folder failed: $(cat "$WORK/index.err")"
        return
    fi
    check_index "$WORK/clean" "the clean index"
    compare_indexes "$DB" "$WORK/clean"
}

# ---- phase 2: a full disk ------------------------------------------------------------------------

phase_diskfull() {
    if [ ! -d "$WORK/clean" ]; then # run alone: make an archive and its clean index
        say "generating $NART articles (seed $SEED)"
        make_folders
        local i
        for ((i = 0; i < NART; i++)); do
            echo "$i 0"
        done | write_articles
        index_now "$WORK/clean" || { fail "a clean index failed: $(cat "$WORK/index.err")"; return; }
    fi
    local total size_kb small="$WORK/small" mode=$DISKFULL_MODE
    total=$("$KBS" --db "$WORK/clean" stats --json | sed -n 's/.*"documents":\([0-9]*\).*/\1/p')
    size_kb=$(du -sk "$WORK/clean" | cut -f1)
    mkdir -p "$small"
    # Room for a third of the index and then some: a third of the articles
    # is indexed first and fits; the rest then fills the disk. (A third,
    # indexed by itself, is not compacted as the whole is: with the stories'
    # min-hash terms it took up to 3/4 of the whole, so it gets 4/5.) The
    # third is indexed with room to spare, and the disk shrunk after: the
    # writer refuses a commit that a disk barely larger than its index may
    # not hold (src/room.h), which a third on 4/5 of the whole is.
    local room_kb=$((size_kb * 4 / 5))
    if [ "$mode" != ulimit ] && mount -t tmpfs -o size=256m tmpfs "$small" 2>/dev/null; then
        MOUNTED=$small
        mode=tmpfs
        say "index on a ${room_kb} kB tmpfs (the whole index takes ${size_kb} kB)"
    elif [ "$mode" = tmpfs ]; then
        fail "cannot mount a tmpfs here (KBS_DISKFULL_MODE=tmpfs)"
        return
    else
        [ "$mode" = ulimit ] || say "cannot mount a tmpfs here: a file size limit stands in"
        mode='ulimit'
    fi

    local db="$small/index" rc first
    mkdir -p "$WORK/held"
    mv "$CORPUS"/s1[0-9] "$CORPUS"/s2[0-9] "$WORK/held/"
    index_now "$db" || { fail "a third of the articles does not fit: $(cat "$WORK/index.err")"; return; }
    first=$("$KBS" --db "$db" stats --json | sed -n 's/.*"documents":\([0-9]*\).*/\1/p')
    mv "$WORK/held"/* "$CORPUS/"
    if [ "$mode" = tmpfs ] && ! mount -o remount,size="${room_kb}k" "$small"; then
        fail "cannot shrink the tmpfs to ${room_kb} kB (a third takes $(du -sk "$small" | cut -f1) kB)"
        return
    fi
    say "a third of the articles fits: $first indexed; now all of them"
    if [ "$mode" = tmpfs ]; then
        "$KBS" --db "$db" index "$CORPUS" >"$WORK/index.out" 2>"$WORK/index.err"
        rc=$?
    else
        # RLIMIT_FSIZE: writes past it fail with EFBIG once SIGXFSZ, which
        # would kill the process, is ignored. The largest table is cut in half.
        # (bash counts ulimit -f in KiB, not in the 512-byte blocks of POSIX.)
        local largest kib
        largest=$(find "$WORK/clean" -type f -printf '%s\n' | sort -n | tail -1)
        kib=$((largest / 2 / 1024))
        say "file size limit of $kib KiB (the largest table takes $((largest / 1024)) KiB)"
        (
            trap '' XFSZ
            ulimit -f "$kib"
            exec "$KBS" --db "$db" index "$CORPUS"
        ) >"$WORK/index.out" 2>"$WORK/index.err"
        rc=$?
    fi
    local err
    err=$(cat "$WORK/index.err")
    say "the indexer on a full disk exited with $rc: $(tail -1 "$WORK/index.err")"
    if [ "$rc" -ge 128 ] || [ "$rc" = 0 ]; then
        fail "on a full disk the indexer must fail with status 2, not $rc"
    fi
    grep -qF "$db" <<<"$err" || fail "the message does not name the index folder $db: $err"
    grep -qiE "no space left|file too large|is full" <<<"$err" ||
        fail "the message does not say the disk is full: $err"
    grep -qi "free some space" <<<"$err" || fail "the message does not say what to do: $err"

    check_index "$db" "on the full disk"
    local docs
    docs=$("$KBS" --db "$db" stats --json | sed -n 's/.*"documents":\([0-9]*\).*/\1/p')
    say "the index on the full disk opens at its last commit: $docs of $total articles"
    [ "$docs" -ge "$first" ] || fail "the full disk lost articles: $docs, down from $first"

    # Room again: the next run completes.
    if [ "$mode" = tmpfs ]; then
        mount -o remount,size=256m "$small" || { fail "cannot make room on the tmpfs"; return; }
    fi
    if ! index_now "$db"; then
        fail "with room again, the run failed: $(cat "$WORK/index.err")"
        return
    fi
    check_index "$db" "after the disk had room again"
    docs=$("$KBS" --db "$db" stats --json | sed -n 's/.*"documents":\([0-9]*\).*/\1/p')
    [ "$docs" = "$total" ] || fail "with room again the index holds $docs articles, not $total"
    compare_indexes "$db" "$WORK/clean"
    if [ -n "$MOUNTED" ]; then
        umount "$MOUNTED" && MOUNTED=
    fi
}

for phase in $PHASES; do
    case $phase in
    crash) phase_crash ;;
    diskfull) phase_diskfull ;;
    *)
        echo "crash_test: unknown phase '$phase'" >&2
        exit 2
        ;;
    esac
    [ "$failures" -gt 0 ] && break
done

say "$kills kills, $checks checks passed, $failures failures ($((SECONDS - started)) s)"
[ "$failures" -eq 0 ]
