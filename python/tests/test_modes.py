"""The serving modes through the Python keywords: each keyword reaches the library (the same
request as the CLI flags, checked against `llmplan estimate --json`), the modes change the
estimate in the direction their mechanism says, and wrong types raise."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

import llmplan
from llmplan import estimate_performance

LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"
BASE = dict(model_id=LLAMA_8B, gpu_name="H100", concurrency=16, num_prompts=200)


def cli_json(*flags):
    cli = os.environ.get("LLMPLAN_CLI")
    if not cli:
        pytest.skip("*** SKIPPED: LLMPLAN_CLI is not set ***")
    out = subprocess.run([cli, "estimate", "--json", *flags], capture_output=True, text=True)
    return json.loads(out.stdout)


def test_prefix_caching_keywords_match_the_cli_and_hit():
    kw = dict(BASE, method="simulate", dataset_name="prefix_repetition",
              prefix_repetition_prefix_len=1024, prefix_repetition_suffix_len=128,
              prefix_repetition_num_prefixes=4, prefix_repetition_output_len=64)
    on = estimate_performance(**kw)
    off = estimate_performance(**kw, enable_prefix_caching=False)
    assert on.is_valid() and off.is_valid(), (on.error, off.error)
    # 1024 shared tokens = 64 full blocks of a 1152-token prompt: most of it hits
    assert 0.8 < on.modes["prefix_cache_hit_rate"] < 1024 / 1152
    assert off.modes["prefix_cache_hit_rate"] is None
    assert on.mean_ttft_ms < off.mean_ttft_ms
    cli = cli_json("--model", LLAMA_8B, "--gpu", "H100", "--max-concurrency", "16",
                   "--num-prompts", "200", "--method", "simulate",
                   "--dataset-name", "prefix_repetition", "--prefix-repetition-prefix-len",
                   "1024", "--prefix-repetition-suffix-len", "128",
                   "--prefix-repetition-num-prefixes", "4", "--prefix-repetition-output-len",
                   "64")
    # the CLI's JSON keeps 6 significant digits
    assert cli["mean_ttft_ms"] == pytest.approx(on.mean_ttft_ms, rel=1e-5)
    assert cli["modes"]["prefix_cache_hit_rate"] == pytest.approx(
        on.modes["prefix_cache_hit_rate"], rel=1e-5)


def test_random_prefix_and_multi_turn():
    one = estimate_performance(**BASE, method="simulate", input_length=256, output_length=64)
    turns = estimate_performance(**BASE, method="simulate", input_length=256, output_length=64,
                                 num_turns=4)
    assert turns.is_valid(), turns.error
    assert turns.modes["prefix_cache_hit_rate"] > 0.5 > one.modes["prefix_cache_hit_rate"]
    refused = estimate_performance(**BASE, num_turns=4)  # the roofline keeps no history
    assert not refused.is_valid() and "simulate method only" in refused.error
    shared = estimate_performance(**BASE, random_prefix_len=512, input_length=64)
    assert shared.is_valid() and shared.modes["prefix_cache_hit_rate"] > 0.8


def test_speculative_config_as_dict_or_text():
    spec = {"method": "ngram", "num_speculative_tokens": 3, "prompt_lookup_max": 4}
    a = estimate_performance(**BASE, speculative_config=spec, acceptance_rate=0.5)
    b = estimate_performance(**BASE, speculative_config=json.dumps(spec), acceptance_rate=0.5)
    assert a.is_valid(), a.error
    assert a.to_dict() == b.to_dict()
    assert a.modes["speculative"]["acceptance_rate"] == 0.5


def test_lora_keywords_slow_the_step_and_limit_adapters():
    base = estimate_performance(**BASE, method="simulate")
    lora = estimate_performance(**BASE, method="simulate", enable_lora=True, max_lora_rank=64,
                                max_loras=4, lora_modules=["a", "b", "c", "d", "e", "f"])
    one_slot = estimate_performance(**BASE, method="simulate", enable_lora=True,
                                    max_lora_rank=64, max_loras=1, lora_modules=6)
    assert lora.is_valid() and one_slot.is_valid(), (lora.error, one_slot.error)
    assert base.output_throughput > lora.output_throughput > one_slot.output_throughput
    p = llmplan.plan(LLAMA_8B, "H100", enable_lora=True, max_loras=4, max_lora_rank=64)
    assert p.fits


@pytest.mark.parametrize("kwargs", [
    {"enable_lora": 1},
    {"max_loras": "4"},
    {"speculative_config": 3},
    {"num_turns": 2.5},
    {"lora_modules": 1.5},
])
def test_wrong_mode_types_raise(kwargs):
    with pytest.raises(TypeError):
        estimate_performance(**BASE, **kwargs)


def test_recommend_and_explain_take_the_mode_keywords():
    r = llmplan.recommend(LLAMA_8B, gpus=["H100"], input_len=256, output_len=128,
                          request_rate=5, random_prefix_len=1024, max_gpus=1)
    assert r.is_valid(), r.error
    e = llmplan.explain(LLAMA_8B, "H100", input_len=2000, output_len=300, request_rate=5,
                        enable_lora=True, max_lora_rank=16, lora_modules=3)
    assert e.is_valid(), e.error
    with pytest.raises(TypeError):
        llmplan.explain(LLAMA_8B, "H100", num_turns="2")
