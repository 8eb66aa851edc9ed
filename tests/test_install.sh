#!/bin/sh
# test_install.sh BUILD_DIR SOURCE_DIR CC - what `make install PREFIX=... DESTDIR=...` puts in
# place, used as a C programmer uses it:
#   - llmplan, libllmplan.so with its versioned soname, libllmplan.a, every public header,
#     llmplan.pc and the man page land under DESTDIR/PREFIX;
#   - llmplan.h includes every installed header, and each header compiles alone with -Wall
#     -Wextra -Wpedantic;
#   - examples/plan_and_estimate.c builds with `pkg-config --cflags --libs llmplan`, loads the
#     installed libllmplan.so and agrees with the installed `llmplan plan --json`; linked with
#     libllmplan.a and `pkg-config --static --libs` it runs alone and prints the same;
#   - the man page describes every command and every long option the CLI's --help prints.
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
cc=${3:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmplan_install_XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "test_install: FAIL: $*" >&2
    exit 1
}

# the version has one home: CMakeLists.txt's project() line
version=$(sed -n 's/^project(llmplan VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[ -n "$version" ] || fail "no version in CMakeLists.txt's project() line"
major_minor=${version%.*}

# Stage under DESTDIR with a prefix, as a packager does; the .pc file must still resolve.
DESTDIR="$tmp/stage" cmake --install "$build" --prefix /opt/llmplan >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; fail "cmake --install failed"; }
root="$tmp/stage/opt/llmplan"
libdir=$(dirname "$(find "$root" -name llmplan.pc)")
libdir=${libdir%/pkgconfig}
for f in bin/llmplan include/llmplan/llmplan.h include/llmplan/version.h share/man/man1/llmplan.1; do
    [ -f "$root/$f" ] || fail "$f not installed"
done
for f in libllmplan.a libllmplan.so "libllmplan.so.$major_minor" "libllmplan.so.$version"; do
    [ -e "$libdir/$f" ] || fail "$f not installed in $libdir"
done
soname=$(readelf -d "$libdir/libllmplan.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libllmplan.so.$major_minor" ] || fail "soname is '$soname', expected libllmplan.so.$major_minor"
nm "$libdir/libllmplan.a" 2>/dev/null | grep -q ' T lp_estimate_performance$' ||
    fail "libllmplan.a lacks lp_estimate_performance"

# llmplan.h is the whole API: it includes every other installed header
for h in "$root"/include/llmplan/*.h; do
    name=$(basename "$h")
    [ "$name" = llmplan.h ] && continue
    grep -q "#include \"llmplan/$name\"" "$root/include/llmplan/llmplan.h" ||
        fail "llmplan.h does not include llmplan/$name"
done
[ ! -e "$root/include/llmplan/version.h.in" ] || fail "version.h.in installed"
# and each header stands alone: it includes what it uses, and compiles warning-free
for h in "$root"/include/llmplan/*.h; do
    printf '#include <llmplan/%s>\n' "$(basename "$h")" >"$tmp/one.c"
    "$cc" -std=c17 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$root/include" "$tmp/one.c" \
        2>"$tmp/one.log" || fail "llmplan/$(basename "$h") does not compile alone: $(cat "$tmp/one.log")"
done

# The installed CLI reports the version it was built from
"$root/bin/llmplan" version | grep -qx "llmplan $version" || fail "llmplan version is not $version"

# Build the example with pkg-config and nothing else
export PKG_CONFIG_PATH="$libdir/pkgconfig"
pkg-config --modversion llmplan | grep -qx "$version" || fail "pkg-config --modversion is not $version"
flags=$(pkg-config --cflags --libs llmplan) || fail "pkg-config --cflags --libs llmplan failed"
# shellcheck disable=SC2086
"$cc" -std=c17 -Wall -Wextra -Wpedantic -Werror "$src/examples/plan_and_estimate.c" $flags \
    -o "$tmp/plan_and_estimate" || fail "the example does not build with: $flags"
LD_LIBRARY_PATH="$libdir" ldd "$tmp/plan_and_estimate" | grep -q "libllmplan.so.$major_minor => $libdir/" ||
    fail "the example is not linked to the installed libllmplan.so.$major_minor"
LD_LIBRARY_PATH="$libdir" "$tmp/plan_and_estimate" >"$tmp/out.txt" 2>&1 ||
    { cat "$tmp/out.txt"; fail "the example exited with $?"; }
cat "$tmp/out.txt"
# Same library code as the CLI: the KV tokens it prints are those `llmplan plan --json` gives
tokens=$(sed -n 's/.*GiB per GPU, \([0-9]*\) tokens.*/\1/p' "$tmp/out.txt")
HF_HUB_OFFLINE=1 "$root/bin/llmplan" plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 \
    --max-model-len 8192 --json >"$tmp/plan.json"
grep -q "\"kv_tokens\": $tokens," "$tmp/plan.json" || fail "the example's $tokens KV tokens differ from llmplan plan --json"
grep -q 'TTFT .* ms, TPOT .* ms' "$tmp/out.txt" || fail "the example printed no estimate"
# The same program linked with libllmplan.a: no libllmplan.so at run time, and pkg-config
# --static names every library the archive needs
static_libs=$(pkg-config --static --libs llmplan | sed 's/-lllmplan//') ||
    fail "pkg-config --static --libs llmplan failed"
# shellcheck disable=SC2086
"$cc" -std=c17 -Wall -Wextra -Wpedantic -Werror "$src/examples/plan_and_estimate.c" \
    $(pkg-config --cflags llmplan) "$libdir/libllmplan.a" $static_libs -o "$tmp/static_example" ||
    fail "the example does not link with libllmplan.a and: $static_libs"
if ldd "$tmp/static_example" | grep -q libllmplan; then fail "the static example needs libllmplan.so"; fi
"$tmp/static_example" >"$tmp/static.txt" 2>&1 || { cat "$tmp/static.txt"; fail "the static example failed"; }
cmp -s "$tmp/out.txt" "$tmp/static.txt" || fail "the static example printed other numbers than the shared one"
# a bad GPU name: exit 2 and the closest names
rc=0
LD_LIBRARY_PATH="$libdir" "$tmp/plan_and_estimate" meta-llama/Llama-3.1-8B-Instruct H1OO \
    >"$tmp/bad.txt" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "an unknown GPU exited $rc, expected 2"
grep -qi "H100" "$tmp/bad.txt" || fail "an unknown GPU did not list the closest names: $(cat "$tmp/bad.txt")"

# The man page names every command and every long option of every command's --help
man="$root/share/man/man1/llmplan.1"
grep -q "llmplan $version" "$man" || fail "the man page does not carry version $version"
# roff writes '-' as '\-'; undo it to compare with --help
sed 's/\\-/-/g' "$man" >"$tmp/man.txt"
commands=$("$root/bin/llmplan" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
[ -n "$commands" ] || fail "no commands in llmplan --help"
for c in $commands; do
    grep -q "^\.B $c\$" "$tmp/man.txt" || fail "the man page has no entry for the command $c"
    [ "$c" = version ] && continue
    "$root/bin/llmplan" "$c" --help >"$tmp/help.txt" 2>&1 || true
    for opt in $(grep -o -- '--[a-z][a-z0-9-]*' "$tmp/help.txt" | sort -u); do
        grep -q -- "$opt\\b" "$tmp/man.txt" || fail "the man page does not describe $c $opt"
    done
done
if command -v groff >/dev/null; then
    warnings=$(groff -man -Tutf8 -ww -z "$man" 2>&1) || true
    [ -z "$warnings" ] || fail "groff warns about the man page: $warnings"
fi
echo "test_install: ok (llmplan $version, soname libllmplan.so.$major_minor)"
