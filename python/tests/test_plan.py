"""plan(): the plan use case from Python, against `llmplan plan --json` and `POST /v1/plan`.

Expected numbers come from vLLM's arithmetic worked by hand where the test says so; the
parity cases check that the three front ends return the same object for the same request.
"""

from __future__ import annotations

import subprocess

import pytest

import llmplan
from conftest import cli_json, run_cli

LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"

# (Python keywords, CLI flags, HTTP body)
PLANS = {
    "fits": (
        dict(model=LLAMA_8B, gpu="H100", max_model_len=16000),
        ["--model", LLAMA_8B, "--gpu", "H100", "--max-model-len", "16000"],
        {"model": LLAMA_8B, "gpu": "H100", "max_model_len": 16000},
    ),
    "tp2-fp8-kv-auto": (
        dict(model="Qwen/Qwen3-32B", gpu="L40S", tensor_parallel_size=2, max_model_len="auto",
             kv_cache_dtype="fp8"),
        ["--model", "Qwen/Qwen3-32B", "--gpu", "L40S", "-tp", "2", "--max-model-len", "auto",
         "--kv-cache-dtype", "fp8"],
        {"model": "Qwen/Qwen3-32B", "gpu": "L40S", "tensor_parallel_size": 2,
         "max_model_len": "auto", "kv_cache_dtype": "fp8"},
    ),
    "does-not-fit": (
        dict(model="meta-llama/Llama-3.1-70B", gpu="H100", tensor_parallel_size=2),
        ["--model", "meta-llama/Llama-3.1-70B", "--gpu", "H100", "-tp", "2"],
        {"model": "meta-llama/Llama-3.1-70B", "gpu": "H100", "tensor_parallel_size": 2},
    ),
    "old-vllm-utilization": (
        dict(model="Qwen/Qwen2.5-7B", gpu="A100 80GB", gpu_memory_utilization=0.5,
             vllm_version="0.11", enforce_eager=True),
        ["--model", "Qwen/Qwen2.5-7B", "--gpu", "A100 80GB", "--gpu-memory-utilization", "0.5",
         "--vllm-version", "0.11", "--enforce-eager"],
        {"model": "Qwen/Qwen2.5-7B", "gpu": "A100 80GB", "gpu_memory_utilization": 0.5,
         "vllm_version": "0.11", "enforce_eager": True},
    ),
}


@pytest.mark.parametrize("case", sorted(PLANS))
def test_plan_python_equals_cli_and_http(cli, server, case):
    kwargs, flags, body = PLANS[case]
    py = llmplan.plan(**kwargs)
    assert py.is_valid(), py.error
    d = py.to_dict()
    assert cli_json(cli, ["plan", *flags, "--json"], 0 if d["fits"] else 3) == d
    status, answer = server.post("/v1/plan", body)
    assert status == 200 and answer == d


def test_plan_numbers_from_vllm_arithmetic():
    p = llmplan.plan("meta-llama/Llama-3.1-8B-Instruct", "H100", max_model_len=16000)
    assert p.fits and p.kv_tokens > 0
    # Llama-3.1-8B keeps 8 KV heads of 128 dims over 32 layers: 2 x 8 x 128 x 2 B x 32 =
    # 131,072 bytes per token in bf16 (docs/model_configs.md §3)
    assert p.model["kv_bytes_per_token"] == 131072
    # vLLM's default block size on CUDA is 16 and one 16,000-token request takes
    # ceil(16000 / 16) = 1000 blocks
    assert p.blocks_per_request == 1000
    assert p.max_concurrency == pytest.approx(p.kv_blocks / 1000, rel=1e-6)
    # H100 (>= 70 GiB, not an A100) under `vllm serve`: 8192 batched tokens, 1024 sequences
    assert p.settings["max_num_batched_tokens"] == 8192 and p.settings["max_num_seqs"] == 1024
    assert p.memory["budget_gib"] == pytest.approx(0.9 * p.memory["total_gib"], rel=1e-3)


def test_plan_that_does_not_fit_says_what_vllm_would_say():
    p = llmplan.plan(model="meta-llama/Llama-3.1-70B", gpu="H100", tensor_parallel_size=2)
    assert p.is_valid() and p.fits is False
    assert "max seq len (131072)" in p.vllm_error
    assert p.suggestions and 0 < p.max_model_len_fit < 131072


def test_plan_errors_are_results_with_the_closest_names(cli, server):
    p = llmplan.plan(model=LLAMA_8B, gpu="H1OO")
    assert not p.is_valid() and "H100 SXM" in p.error
    assert p.to_dict() == {"error": p.error}
    status, answer = server.post("/v1/plan", {"model": LLAMA_8B, "gpu": "H1OO"})
    assert status == 404 and answer == p.to_dict()
    rc, _ = run_cli(cli, ["plan", "--model", LLAMA_8B, "--gpu", "H1OO"])
    assert rc == 2
    bad_tp = llmplan.plan(model=LLAMA_8B, gpu="H100", tensor_parallel_size=3)
    assert not bad_tp.is_valid() and "divisible" in bad_tp.error
    unknown = llmplan.plan(model="meta-llama/Llama-3.1-8B-Instruc", gpu="H100")
    assert not unknown.is_valid() and "meta-llama/Llama-3.1-8B" in unknown.error


def test_plan_aliases_and_programmer_errors():
    a = llmplan.plan(model_id=LLAMA_8B, gpu_name="H100", tp_size=1, context_len=8192)
    b = llmplan.plan(LLAMA_8B, "H100", tensor_parallel_size=1, max_model_len=8192)
    assert a == b and a.is_valid()
    with pytest.raises(TypeError):
        llmplan.plan(LLAMA_8B, "H100", tp_szie=2)
    with pytest.raises(TypeError):
        llmplan.plan(LLAMA_8B, "H100", tp_size=2, tensor_parallel_size=4)
    with pytest.raises(TypeError):
        llmplan.plan(LLAMA_8B, "H100", max_num_seqs=object())


def test_plan_from_a_pasted_config_and_a_described_gpu():
    import json
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    with open(os.path.join(root, "data", "models", "meta-llama--Llama-3.1-8B.json")) as f:
        config = json.load(f)
    pasted = llmplan.plan(config=config, gpu="H100", max_model_len=16000)
    named = llmplan.plan(model="meta-llama/Llama-3.1-8B", gpu="H100", max_model_len=16000)
    assert pasted.is_valid(), pasted.error
    assert pasted.kv_tokens == named.kv_tokens
    custom = llmplan.plan(model=LLAMA_8B, gpu_memory_gib=48, max_model_len=8192)
    assert custom.is_valid(), custom.error
    assert any("described" in n or "custom" in n for n in custom.assumptions + [custom.gpu["name"]])
