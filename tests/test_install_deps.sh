#!/bin/sh
# test_install_deps.sh SOURCE_DIR - scripts/install-deps.sh as a user without root sees it:
# with only optional packages missing it warns and exits 0 (so `make` goes on and builds),
# with a package the build needs missing it exits 1 and prints the apt-get line.
# dpkg-query and id are replaced by stand-ins first on PATH; nothing is installed.
set -eu
src=$(cd "$1" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmplan_deps_XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "test_install_deps: FAIL: $*" >&2
    exit 1
}
cat >"$tmp/dpkg-query" <<'STUB'
#!/bin/sh
# dpkg-query -W -f=FORMAT PACKAGE: "installed" unless PACKAGE is in $FAKE_MISSING
for p in $FAKE_MISSING; do [ "$p" = "$3" ] && exit 1; done
printf 'install ok installed'
STUB
printf '#!/bin/sh\necho 1000\n' >"$tmp/id"
chmod +x "$tmp/dpkg-query" "$tmp/id"
run() { # FAKE_MISSING -> exit code; output in $tmp/out
    rc=0
    PATH="$tmp:$PATH" FAKE_MISSING="$1" sh "$src/scripts/install-deps.sh" >"$tmp/out" 2>&1 || rc=$?
    echo "$rc"
}
[ "$(run "")" = 0 ] || fail "nothing missing: not 0"
[ ! -s "$tmp/out" ] || fail "nothing missing: printed $(cat "$tmp/out")"
[ "$(run "libcmocka-dev wrk python3-pytest")" = 0 ] || fail "only optional missing: not 0: $(cat "$tmp/out")"
grep -q "optional.*libcmocka-dev wrk python3-pytest" "$tmp/out" || fail "no warning: $(cat "$tmp/out")"
[ "$(run "libjansson-dev wrk")" = 1 ] || fail "a required package missing: not 1"
grep -q "needs: libjansson-dev" "$tmp/out" || fail "required package not named: $(cat "$tmp/out")"
grep -q "apt-get install -y libjansson-dev wrk" "$tmp/out" || fail "no apt-get line: $(cat "$tmp/out")"
echo "test_install_deps: ok"
