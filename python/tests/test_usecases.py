"""recommend() and explain(): the use cases from Python against `llmplan recommend --json`,
`llmplan explain --json` and the HTTP API, including the issue's recommend case that meets
no target (the same closest misses from every front end).
"""

from __future__ import annotations

import pytest

import llmplan
from conftest import cli_json

LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"
LLAMA_70B = "meta-llama/Llama-3.3-70B-Instruct"


def without_time(d):
    d = dict(d)
    assert d.pop("search_s") >= 0  # the search's wall time: the one key that may differ
    return d


def test_recommend_with_results_equals_cli_and_http(cli, server):
    r = llmplan.recommend(LLAMA_8B, gpus=["H100", "L40S"], input_len=1024, output_len=128,
                          max_concurrency=16, max_ttft_ms=2000, top=3)
    assert r.is_valid(), r.error
    d = without_time(r.to_dict())
    assert len(d["configs"]) == 3 and d["closest_misses"] == []
    assert r.best["vllm_serve"].startswith("vllm serve " + LLAMA_8B)
    # the ranking meets the target it was asked for
    assert all(c["median_ttft_ms"] <= 2000 for c in d["configs"])
    flags = ["recommend", "--model", LLAMA_8B, "--gpus", "H100,L40S", "--random-input-len",
             "1024", "--random-output-len", "128", "--max-concurrency", "16", "--max-ttft-ms",
             "2000", "--top", "3", "--json"]
    assert without_time(cli_json(cli, flags, 0)) == d
    status, answer = server.post("/v1/recommend", {
        "model": LLAMA_8B, "gpus": ["H100", "L40S"], "input_len": 1024, "output_len": 128,
        "max_concurrency": 16, "max_ttft_ms": 2000, "top": 3})
    assert status == 200 and without_time(answer) == d


def test_recommend_without_results_lists_the_same_closest_misses(cli, server):
    # issue 9: Llama-3.3-70B, 2000/300 tokens at 10 req/s, TTFT <= 1500 ms, TPOT <= 50 ms on up
    # to 8 x H100 / A100-80GB
    r = llmplan.recommend(model=LLAMA_70B, gpus="H100,A100-80GB", max_gpus=8, input_length=2000,
                          output_length=300, request_rate=10.0, max_ttft_ms=1500, max_tpot_ms=50)
    assert r.is_valid(), r.error
    d = without_time(r.to_dict())
    assert d["configs"] == [] and r.best is None
    assert d["closest_misses"] and all("x the target" in m["why"] for m in d["closest_misses"])
    flags = ["recommend", "--model", LLAMA_70B, "--gpus", "H100,A100-80GB", "--max-gpus", "8",
             "--random-input-len", "2000", "--random-output-len", "300", "--request-rate", "10",
             "--max-ttft-ms", "1500", "--max-tpot-ms", "50", "--json"]
    assert without_time(cli_json(cli, flags, 3)) == d
    status, answer = server.post("/v1/recommend", {
        "model": LLAMA_70B, "gpus": "H100,A100-80GB", "max_gpus": 8, "input_len": 2000,
        "output_len": 300, "request_rate": 10, "max_ttft_ms": 1500, "max_tpot_ms": 50})
    assert status == 200 and without_time(answer) == d


def test_explain_equals_cli_and_http(cli, server):
    e = llmplan.explain(LLAMA_70B, "H100", tensor_parallel_size=4, input_len=2000,
                        output_len=300, request_rate=10.0, max_ttft_ms=1500)
    assert e.is_valid(), e.error
    d = e.to_dict()
    assert d["plan"]["fits"] and d["estimate"]["valid"]
    # 10 req/s of 2000-token prompts overload four H100s: requests queue, TTFT is missed
    assert d["meets_targets"] is False
    assert "--tensor-parallel-size 4" in d["vllm_serve"]
    flags = ["explain", "--model", LLAMA_70B, "--gpu", "H100", "-tp", "4", "--random-input-len",
             "2000", "--random-output-len", "300", "--request-rate", "10", "--max-ttft-ms",
             "1500", "--json"]
    assert cli_json(cli, flags, 3) == d
    status, answer = server.post("/v1/explain", {
        "model": LLAMA_70B, "gpu": "H100", "tensor_parallel_size": 4, "input_len": 2000,
        "output_len": 300, "request_rate": 10, "max_ttft_ms": 1500})
    assert status == 200 and answer == d


def test_use_case_errors_are_results_and_wrong_types_raise():
    r = llmplan.recommend("no/such-model", gpus=["H100"])
    assert not r.is_valid() and "unknown model" in r.error and r.to_dict() == {"error": r.error}
    e = llmplan.explain(LLAMA_8B, "H1OO")
    assert not e.is_valid() and "H100 SXM" in e.error
    bad = llmplan.recommend(LLAMA_8B, gpus=["H100"], objective="cheapest")
    assert not bad.is_valid() and "objective" in bad.error
    with pytest.raises(TypeError):
        llmplan.recommend(LLAMA_8B, gpus=[1, 2])
    with pytest.raises(TypeError):
        llmplan.recommend(LLAMA_8B, max_gpus="8")
    with pytest.raises(TypeError):
        llmplan.explain(LLAMA_8B, "H100", tensor_parallel_size=2.0)
    with pytest.raises(TypeError):
        llmplan.plan(LLAMA_8B, "H100", enforce_eager="yes")
    with pytest.raises(TypeError):
        llmplan.recommend(LLAMA_8B, gpus=["H100"], input_len=100, input_length=200)


def test_compare_equals_cli_and_http(cli, server):
    import json
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    bench = os.path.join(os.path.dirname(os.path.dirname(here)), "tests", "data", "vllm-bench")
    result = os.path.join(bench, "vllm-bench-serve_llama-3.1-8b_h100_c8.json")
    log = os.path.join(bench, "startup_v0.19_llama-3.1-8b_h100.log")
    # max_model_len 23000: the benchmark's requests are 20000 + 2000 tokens (vLLM refuses longer)
    settings = dict(model=LLAMA_8B, gpu="H100", gpu_memory_utilization=0.95, max_model_len=23000,
                    vllm_version="0.19.0")
    c = llmplan.compare(result, log=log, **settings)
    assert c.is_valid(), c.error
    d = c.to_dict()
    # the file measured 450.3 output tokens/s (tests/data/vllm-bench/README.md)
    assert d["performance"]["metrics"]["output_throughput"]["measured"] == pytest.approx(450.3)
    assert d["memory"]["compared"] > 0
    assert d["result_file"] == result and d["log_file"] == log
    flags = ["compare", "--json", "--result", result, "--log", log, "--model", LLAMA_8B, "--gpu",
             "H100", "--gpu-memory-utilization", "0.95", "--max-model-len", "23000",
             "--vllm-version", "0.19.0"]
    assert cli_json(cli, flags, 0) == d
    # the same files given as their contents: no file names, the same comparison
    with open(result) as f:
        as_dict = json.load(f)
    with open(log) as f:
        text = f.read()
    pasted = llmplan.compare(as_dict, log=text, **settings).to_dict()
    assert pasted["result_file"] is None
    status, answer = server.post("/v1/compare", dict(result=as_dict, log=text, **settings))
    assert status == 200 and answer == pasted
    for key in ("result_file", "log_file"):
        pasted.pop(key)
        d.pop(key)
    assert pasted == d
    bad = llmplan.compare(log=text, gpu="H100")
    assert not bad.is_valid() and "model" in bad.error
