#!/bin/sh
# test_python_install.sh SOURCE_DIR PYTHON LLMPLAN_CLI - the Python package as a new user
# installs it, offline, on a Debian machine after scripts/install-deps.sh:
#   python3 -m venv --system-site-packages v && v/bin/pip install --no-index --no-build-isolation ./python
# then, from outside the source tree (so only the installed copy can be imported):
#   - both seeds' usage examples, as written with only the import changed, print valid
#     estimates; config-explorer's 70B example plans a --max-model-len that serves its 2,048 +
#     512-token requests and says so in its assumptions and its `vllm serve` line;
#   - the whole pytest suite (python/tests, parity with the CLI and HTTP included) passes
#     against the installed package;
#   - the installed extension carries the library inside it (no libllmplan.so needed).
# Exit 77 (ctest: skipped) when python3-venv is missing, unless CI=true.
set -eu
src=$(cd "$1" && pwd)
py=$2
cli=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmplan_pyinstall_XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "test_python_install: FAIL: $*" >&2
    exit 1
}
skip() {
    if [ "${CI:-}" = true ]; then fail "$* (CI=true: a skip is a failure)"; fi
    echo "*** test_python_install: SKIPPED: $* ***" >&2
    exit 77
}

"$py" -m venv --system-site-packages "$tmp/v" >"$tmp/venv.log" 2>&1 ||
    skip "$py -m venv failed (install python3-venv: scripts/install-deps.sh): $(tail -1 "$tmp/venv.log")"
# ccache only speeds up the compiler CMake would run anyway (CMake reads this variable)
if command -v ccache >/dev/null && [ -z "${CMAKE_C_COMPILER_LAUNCHER:-}" ]; then
    export CMAKE_C_COMPILER_LAUNCHER=ccache
fi
# no package index, no download: only what Debian installed
(cd "$src" && PIP_NO_INDEX=1 "$tmp/v/bin/pip" install --no-index --no-build-isolation \
    --disable-pip-version-check ./python) >"$tmp/pip.log" 2>&1 ||
    { cat "$tmp/pip.log"; fail "pip install --no-index --no-build-isolation ./python failed"; }

cd "$tmp"
export HF_HUB_OFFLINE=1 PYTHONDONTWRITEBYTECODE=1
unset PYTHONPATH
where=$("$tmp/v/bin/python" -c 'import llmplan; print(llmplan.__file__)')
case $where in
"$tmp/v/"*) ;;
*) fail "llmplan was imported from $where, not from the venv" ;;
esac
ext=$(ls "$(dirname "$where")"/_llmplan*.so) || fail "no extension module installed"
if ldd "$ext" | grep -q libllmplan; then fail "the extension needs libllmplan.so: $(ldd "$ext")"; fi

# config-explorer's usage example (../shared/seeds/000_*.txt), only the import line changed
cat >"$tmp/config_explorer.py" <<'EOF'
from llmplan import estimate_performance

estimate = estimate_performance(
    model_id="meta-llama/Llama-3.1-70B",
    gpu_name="H100",
    num_gpus=2,
    tensor_parallel_size=2,
    input_length=2048,
    output_length=512,
)

if estimate.is_valid():
    print(f"TTFT: {estimate.time_to_first_token_ms:.1f}ms")
    print(f"Throughput: {estimate.throughput_tokens_per_sec:.1f} tok/s")
EOF
"$tmp/v/bin/python" "$tmp/config_explorer.py" >"$tmp/ce.out" 2>&1 ||
    { cat "$tmp/ce.out"; fail "config-explorer's example failed"; }
cat "$tmp/ce.out"
grep -Eq '^TTFT: [0-9]+\.[0-9]ms$' "$tmp/ce.out" || fail "config-explorer's example printed no TTFT"
grep -Eq '^Throughput: [0-9]+\.[0-9] tok/s$' "$tmp/ce.out" ||
    fail "config-explorer's example printed no throughput"
# 2,048 + 512 = 2,560 tokens per request: a planned max-model-len of at least that, below the
# model's own 131,072 (which does not fit next to the 70B weights on 2 x 80 GB)
cat >>"$tmp/config_explorer.py" <<'EOF'
planned = [a for a in estimate.assumptions if "max-model-len" in a]
print("\n".join(planned))
print(estimate.vllm_serve)
EOF
"$tmp/v/bin/python" "$tmp/config_explorer.py" >"$tmp/ce2.out" 2>&1 || fail "$(cat "$tmp/ce2.out")"
planned=$(sed -n 's/^--max-model-len \([0-9]*\) planned.*/\1/p' "$tmp/ce2.out")
[ -n "$planned" ] || fail "no planned --max-model-len in the assumptions: $(cat "$tmp/ce2.out")"
[ "$planned" -ge 2560 ] && [ "$planned" -lt 131072 ] ||
    fail "planned --max-model-len $planned does not serve 2,560-token requests below 131,072"
grep -q "^vllm serve .*--max-model-len $planned" "$tmp/ce2.out" ||
    fail "the vllm serve line does not carry --max-model-len $planned"

# vLLM Wizard's planner call (../shared/seeds/002_*.txt: positional, enums, the ranges)
cat >"$tmp/vllm_wizard.py" <<'EOF'
from llmplan import Interconnect, Quantization
from llmplan import estimate_performance

perf = estimate_performance("A100 80GB", 8.0, 1, 4096, 512, Quantization.NONE,
                            Interconnect.UNKNOWN, 1)
assert perf.is_valid(), perf.error
print("decode tok/s", perf.decode_toks_per_s_range)
print("prefill tok/s", perf.prefill_toks_per_s_range)
print("TTFT ms", perf.ttft_ms_range)
for a in perf.assumptions:
    print(" -", a)
EOF
"$tmp/v/bin/python" "$tmp/vllm_wizard.py" >"$tmp/vw.out" 2>&1 ||
    { cat "$tmp/vw.out"; fail "vLLM Wizard's call failed"; }
for what in "decode tok/s" "prefill tok/s" "TTFT ms"; do
    grep -Eq "^$what \([0-9.e+]+, [0-9.e+]+\)$" "$tmp/vw.out" || fail "no $what range: $(cat "$tmp/vw.out")"
done
grep -q '^ - ' "$tmp/vw.out" || fail "vLLM Wizard's call listed no assumptions"

# the whole suite against the installed package (parity with this build's CLI and server)
LLMPLAN_CLI=$cli "$tmp/v/bin/python" -m pytest -q -p no:cacheprovider "$src/python/tests" \
    >"$tmp/pytest.log" 2>&1 || { cat "$tmp/pytest.log"; fail "pytest against the installed package"; }
tail -1 "$tmp/pytest.log"
echo "test_python_install: ok ($("$tmp/v/bin/pip" --version | cut -d' ' -f1-2), llmplan $("$tmp/v/bin/python" -c 'import llmplan; print(llmplan.__version__)'))"
