#!/bin/sh
# Install the Debian packages llmplan needs to build and test, when they are missing.
# As root it runs apt-get; otherwise it prints the command to run.
set -eu
PKGS="build-essential cmake pkg-config libjansson-dev libcmocka-dev libcurl4-openssl-dev libmicrohttpd-dev libyaml-dev libxml2-dev wrk"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "install-deps: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "install-deps: missing Debian packages:$missing" >&2
    echo "install-deps: run: sudo apt-get install -y$missing" >&2
    exit 1
fi
