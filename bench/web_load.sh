#!/bin/sh
# bench/web_load.sh - latency of `POST /v1/plan` under 50 concurrent keep-alive clients, measured
# with wrk (a C load generator; Debian package wrk) against a Release build of `llmplan serve`
# on 127.0.0.1. Prints requests/s and the latency distribution of three 5-second runs.
# Usage: sh bench/web_load.sh BUILD_DIR      (make bench-web)
set -eu
build=${1:-build-bench}
command -v wrk >/dev/null || { echo "bench-web: wrk not installed (apt-get install wrk)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
"$build/llmplan" serve --port 0 >"$tmp/out" 2>&1 &
pid=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do
    grep -q "listening on" "$tmp/out" 2>/dev/null && break
    sleep 0.2
done
url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$tmp/out" | head -n 1)
[ -n "$url" ] || { echo "bench-web: the server did not start:" >&2; cat "$tmp/out" >&2; exit 1; }
cat >"$tmp/plan.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"model": "meta-llama/Llama-3.1-8B-Instruct", "gpu": "H100", "max_model_len": 16000}'
wrk.headers["Content-Type"] = "application/json"
LUA
echo "bench-web: POST ${url}v1/plan, 50 concurrent clients, 3 runs of 5 s (wrk, 1 thread)"
for run in 1 2 3; do
    wrk -t1 -c50 -d5s --latency -s "$tmp/plan.lua" "${url}v1/plan" >"$tmp/wrk" 2>&1
    rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk")
    p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk")
    p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk")
    bad=$(awk '/Non-2xx|Socket errors/' "$tmp/wrk")
    echo "run $run: $rps requests/s  p50 $p50  p99 $p99  ${bad:-no errors}"
done
