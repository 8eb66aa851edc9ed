#!/bin/sh
# Install the Debian packages llmplan needs to build and test, when they are missing.
# As root it runs apt-get. Otherwise it prints the command to run, and fails only when a
# package the build cannot do without is missing: without the optional ones the build still
# succeeds and the parts that need them say so (tests, the Hub client, `llmplan serve`, the
# Python package, the web load benchmark).
set -eu
# the build itself: compiler, CMake, pkg-config, the JSON and YAML libraries
REQUIRED="build-essential cmake pkg-config libjansson-dev libyaml-dev"
# tests (cmocka, libxml2 for the reports), the Hugging Face Hub (libcurl), `llmplan serve`
# (libmicrohttpd), `make bench-web` (wrk), and the Python package (python/: its extension is
# built with Debian's setuptools and tested with Debian's pytest, offline)
OPTIONAL="libcmocka-dev libcurl4-openssl-dev libmicrohttpd-dev libxml2-dev wrk
python3-dev python3-venv python3-setuptools python3-wheel python3-pytest"

missing_of() {
    for p in $1; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || printf ' %s' "$p"
    done
}
missing_required=$(missing_of "$REQUIRED")
missing_optional=$(missing_of "$OPTIONAL")
missing="$missing_required$missing_optional"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "install-deps: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
elif [ -n "$missing_required" ]; then
    echo "install-deps: missing Debian packages the build needs:$missing_required" >&2
    echo "install-deps: run: sudo apt-get install -y$missing" >&2
    exit 1
else
    echo "install-deps: optional Debian packages missing:$missing_optional" >&2
    echo "install-deps: the build goes on without them; for tests, the Hub, llmplan serve and" >&2
    echo "install-deps: the Python package run: sudo apt-get install -y$missing_optional" >&2
fi
