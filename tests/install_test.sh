#!/bin/sh
# install_test.sh CMAKE CC PKG_CONFIG BUILD_DIR SOURCE_DIR INDEX [EXTRA_CFLAGS]
#
# The library as a user gets it: installs BUILD_DIR into a fresh prefix, then
# builds tests/example_search.c outside the build tree against what was
# installed, the four ways a tool may link it (pkg-config shared and static,
# find_package shared and static), and runs each on INDEX (an index of the
# corpus), expecting a hit. EXTRA_CFLAGS carries the sanitizer flags of a
# sanitizer build, which a program linking its library needs as well.
set -eu
cmake=$1 cc=$2 pkgconfig=$3 build=$4 src=$5 index=$6 extra=${7:-}
query="security cooperation"
want="Security Cooperation"

work=$(mktemp -d "${TMPDIR:-/tmp}/kbs-install-XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
say() { echo "install_test: $*"; }
fail() {
  echo "install_test: FAILED: $*" >&2
  exit 1
}

# Runs one example program and checks it found the corpus's article.
run_example() { # NAME PROGRAM
  out=$("$2" "$index" "$query") || fail "$1: example_search exited with $?"
  echo "$out" | grep -q "^1\. .*$want" || fail "$1: no '$want' hit in: $out"
  say "$1: ok ($(echo "$out" | grep -c '^[0-9]*\. ') hits)"
}

# Fails unless PROGRAM loads libkbsearch from the prefix (shared) or not at
# all (static), so that a library left in the build tree cannot stand in.
check_linkage() { # NAME PROGRAM shared|static
  needed=$(LC_ALL=C readelf -d "$2" | grep 'NEEDED.*libkbsearch' || true)
  if [ "$3" = static ]; then
    [ -z "$needed" ] || fail "$1: linked statically, yet needs libkbsearch.so"
  else
    [ -n "$needed" ] || fail "$1: does not need libkbsearch.so"
    ldd "$2" | grep -q "libkbsearch\.so.* => $prefix/" ||
      fail "$1: does not load libkbsearch.so from $prefix: $(ldd "$2" | grep kbsearch)"
  fi
}

say "installing $build into $prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" ||
  { cat "$work/install.log" >&2; fail "cmake --install"; }

# What the install must have put in place (lib may be lib64 or multiarch).
libdir=$(dirname "$(find "$prefix" -name 'libkbsearch.so' | head -n1)")
[ -d "$libdir" ] || fail "no libkbsearch.so installed"
for f in "$libdir"/libkbsearch.so.[0-9]* "$libdir/libkbsearch.a" "$prefix/include/kbsearch.h" \
  "$libdir/pkgconfig/kbsearch.pc" "$libdir/cmake/kbsearch/kbsearchConfig.cmake" \
  "$libdir/cmake/kbsearch/kbsearchConfigVersion.cmake" "$prefix/bin/kbsearch" \
  "$prefix/share/man/man1/kbsearch.1"; do
  [ -e "$f" ] || fail "not installed: $f"
done
grep -q "^prefix=$prefix\$" "$libdir/pkgconfig/kbsearch.pc" ||
  fail "kbsearch.pc does not name the prefix: $(grep '^prefix=' "$libdir/pkgconfig/kbsearch.pc")"

# --- the program and its manual ------------------------------------------------
# Installed outside the system's folders it finds the library by its RUNPATH;
# a build configured for a system prefix (no RUNPATH) is pointed at it here.
prog=$prefix/bin/kbsearch
orig_ldpath=${LD_LIBRARY_PATH-}
if ! LC_ALL=C readelf -d "$prog" | grep -q RUNPATH; then
  LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export LD_LIBRARY_PATH
fi
ldd "$prog" | grep -q "libkbsearch\.so.* => $prefix/" || fail "installed kbsearch uses another libkbsearch"
"$prog" --version | grep -q '^kbsearch [0-9]' || fail "kbsearch --version"
"$prog" --db "$index" --limit 1 "$query" | grep -q "^1\. .*$want" ||
  fail "installed kbsearch found no '$want'"
say "installed kbsearch: ok"
# Every command and every option the program's help texts name must be in the
# manual (where options are written \-\-name), so that it cannot fall behind.
man=$prefix/share/man/man1/kbsearch.1
cmds=$("$prog" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && /^  [a-z]/ { print $1 }')
[ -n "$cmds" ] || fail "no commands in 'kbsearch --help'"
missing=""
for c in $cmds; do
  grep -q "^\.SS \"kbsearch.* $c\b\|^\.SS \"kbsearch \[$c\]" "$man" || missing="$missing command:$c"
done
for o in $(for c in "" $cmds; do "$prog" $c --help; done | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
  grep -q -- "$(echo "$o" | sed 's/-/\\\\-/g')" "$man" || missing="$missing $o"
done
[ -z "$missing" ] || fail "the manual kbsearch.1 does not describe:$missing"
if command -v groff >/dev/null 2>&1; then
  warnings=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$man" 2>&1)
  [ -z "$warnings" ] || fail "groff warns about kbsearch.1: $warnings"
fi
say "manual: every command and option described"
LD_LIBRARY_PATH=$orig_ldpath

# The example is copied out so that nothing of the source tree is on any path.
mkdir "$work/example"
cp "$src/tests/example_search.c" "$work/example/"
cd "$work/example"

# --- pkg-config --------------------------------------------------------------
PKG_CONFIG_PATH=$libdir/pkgconfig
export PKG_CONFIG_PATH
# shellcheck disable=SC2046,SC2086 # the flags are lists of words
"$cc" -std=c11 -Wall -Wextra -Werror $extra example_search.c \
  $("$pkgconfig" --cflags --libs kbsearch) -o pc_shared || fail "pkg-config shared: build"
# No rpath from pkg-config: the loader is told where the prefix's library is.
saved_ldpath=${LD_LIBRARY_PATH-}
LD_LIBRARY_PATH=$libdir${saved_ldpath:+:$saved_ldpath}
export LD_LIBRARY_PATH
check_linkage "pkg-config shared" ./pc_shared shared
run_example "pkg-config shared" ./pc_shared
LD_LIBRARY_PATH=$saved_ldpath
# Static: the archive by its file name, and what --static says it needs
# (Libs.private, Requires.private).
static_libs=$("$pkgconfig" --static --libs kbsearch | sed 's/-lkbsearch\b/-l:libkbsearch.a/')
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -Wall -Wextra -Werror $extra example_search.c \
  $("$pkgconfig" --cflags kbsearch) $static_libs -o pc_static ||
  fail "pkg-config static: build with $static_libs"
check_linkage "pkg-config static" ./pc_static static
run_example "pkg-config static" ./pc_static

# --- find_package --------------------------------------------------------------
# A C-only project, as a C tool would be: the static library must bring its
# C++ runtime itself.
cat >CMakeLists.txt <<'CMAKE'
cmake_minimum_required(VERSION 3.18)
project(uses_kbsearch LANGUAGES C)
find_package(kbsearch 0 REQUIRED)
add_executable(cm_shared example_search.c)
target_link_libraries(cm_shared PRIVATE kbsearch::kbsearch)
add_executable(cm_static example_search.c)
target_link_libraries(cm_static PRIVATE kbsearch::kbsearch_static)
CMAKE
"$cmake" -S . -B build -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_C_FLAGS="-Wall -Wextra -Werror $extra" >"$work/cmake.log" 2>&1 ||
  { cat "$work/cmake.log" >&2; fail "find_package: configure"; }
"$cmake" --build build >>"$work/cmake.log" 2>&1 ||
  { cat "$work/cmake.log" >&2; fail "find_package: build"; }
check_linkage "find_package shared" build/cm_shared shared
run_example "find_package shared" build/cm_shared
check_linkage "find_package static" build/cm_static static
run_example "find_package static" build/cm_static
