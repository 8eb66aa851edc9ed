"""estimate_performance and estimate_performance_batch: graceful degradation, programmer
errors, the tolerant field names, per-item errors, attributes against to_dict(), threads.

An estimate that cannot be made is a result that says why (is_valid() False, error set); only
programmer errors (wrong argument types, unknown keywords, a non-dict config) raise.
"""

from __future__ import annotations

import math
import threading
import time

import pytest

import llmplan
from llmplan import (
    Interconnect,
    PerformanceEstimate,
    Quantization,
    estimate_performance,
    estimate_performance_batch,
)

LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"


def test_a_valid_estimate_has_numbers_ranges_and_assumptions():
    est = estimate_performance(model_id=LLAMA_8B, gpu_name="H100", input_length=1024,
                               output_length=256, concurrency=32)
    assert isinstance(est, PerformanceEstimate)
    assert est.is_valid() and est.valid and est.error is None
    assert est.method == "roofline"
    # 32 clients in a closed loop: at most 32 requests run at once
    assert est.mean_batch == pytest.approx(32.0)
    assert est.time_to_first_token_ms == est.mean_ttft_ms > 0
    assert est.inter_token_latency_ms == est.mean_itl_ms > 0
    assert est.throughput_tokens_per_sec == est.output_throughput > 0
    # Little's law for a closed loop of 32: requests/s = 32 / mean end-to-end latency
    assert est.request_throughput == pytest.approx(32 / (est.mean_e2el_ms / 1000), rel=1e-3)
    # output tokens/s = requests/s x 256 output tokens
    assert est.output_throughput == pytest.approx(est.request_throughput * 256, rel=1e-6)
    lo, hi = est.ttft_ms_range
    assert lo < est.mean_ttft_ms < hi
    assert est.p99_ttft_ms is None  # percentiles need the simulation
    assert est.assumptions and all(isinstance(a, str) for a in est.assumptions)
    assert est.model_id == LLAMA_8B and est.gpu == "H100 SXM"


def test_every_key_of_to_dict_is_an_attribute_with_the_same_value():
    for method in ("roofline", "simulate", "heuristic"):
        est = estimate_performance(model_id=LLAMA_8B, gpu_name="A100 80GB", method=method,
                                   num_prompts=200, input_length=512, output_length=128)
        d = est.to_dict()
        assert d["valid"] is True and d["method"] == method
        for key, value in d.items():
            got = getattr(est, key)
            if isinstance(value, float):
                # the JSON writer keeps 6 significant digits
                assert got == pytest.approx(value, rel=1e-5), key
            else:
                assert got == value, key
        r = d["ranges"]
        for attr, key in (("ttft_ms_range", "ttft_ms"), ("decode_toks_per_s_range", "decode_tok_s"),
                          ("prefill_toks_per_s_range", "prefill_tok_s")):
            if r[key] is None:
                assert getattr(est, attr) is None
            else:
                assert getattr(est, attr) == pytest.approx((r[key]["lo"], r[key]["hi"]), rel=1e-5)
        assert est.prefill_bottleneck == d["bottlenecks"]["prefill"]
        assert est.decode_bottleneck == d["bottlenecks"]["decode"]


def test_simulation_gives_percentiles():
    est = estimate_performance(model_id=LLAMA_8B, gpu_name="H100", method="simulate",
                               num_prompts=300, request_rate=5.0, seed=3)
    assert est.is_valid(), est.error
    assert est.p90_ttft_ms is not None and est.p99_ttft_ms >= est.p90_ttft_ms
    assert est.completed == 300


def test_unknown_model_is_an_invalid_estimate_with_the_closest_names():
    est = estimate_performance(model_id="meta-llama/Llama-3.1-8B-Instruc", gpu_name="H100")
    assert not est.is_valid() and not est.valid
    assert "unknown model" in est.error and "did you mean" in est.error
    assert "meta-llama/Llama-3.1-8B" in est.error
    for attr in ("time_to_first_token_ms", "throughput_tokens_per_sec", "max_concurrent_requests",
                 "decode_toks_per_s_range", "method"):
        assert getattr(est, attr) is None, attr
    assert est.to_dict() == {"valid": False, "error": est.error}


def test_unknown_gpu_is_an_invalid_estimate_with_the_closest_names():
    est = estimate_performance(model_id=LLAMA_8B, gpu_name="H1OO")
    assert not est.is_valid()
    assert 'unknown GPU "H1OO"' in est.error and "H100 SXM" in est.error


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        # 70B in bf16 is ~131 GiB of weights: not on one 24 GiB card
        ({"model_id": "meta-llama/Llama-3.1-70B", "gpu_name": "RTX 4090"}, "does not fit"),
        ({"model_id": LLAMA_8B, "gpu_name": "H100", "tp_size": 2, "num_gpus": 3}, "not a multiple"),
        ({"model_id": LLAMA_8B, "gpu_name": "H100", "input_length": 0}, "input"),
        ({"model_id": LLAMA_8B, "gpu_name": "H100", "gpu_memory_utilization": 1.5}, "utilization"),
        ({"model_id": LLAMA_8B}, "GPU"),
        ({"gpu_name": "H100"}, "model"),
        ({"model_id": LLAMA_8B, "gpu_name": "H100", "method": "guess"}, "method"),
        ({"model_id": LLAMA_8B, "gpu_name": "H100", "interconnect": "carrier pigeon"}, "interconnect"),
        ({"model_id": LLAMA_8B, "gpu_name": "H100", "request_rate": -1.0}, "request_rate"),
    ],
)
def test_configurations_that_cannot_be_estimated_say_why(kwargs, needle):
    est = estimate_performance(**kwargs)
    assert not est.is_valid()
    assert needle.lower() in est.error.lower(), est.error


@pytest.mark.parametrize(
    "kwargs",
    [
        {"model_id": LLAMA_8B, "gpu_name": "H100", "num_gpus": "2"},
        {"model_id": LLAMA_8B, "gpu_name": "H100", "num_gpus": 2.0},
        {"model_id": LLAMA_8B, "gpu_name": "H100", "enforce_eager": 1},
        {"model_id": LLAMA_8B, "gpu_name": 100},
        {"gpu_name": "H100", "params_b": "7"},
        {"gpu_name": "H100", "params_b": True},
        {"model_id": LLAMA_8B, "gpu_name": "H100", "request_rate": "fast"},
    ],
)
def test_wrong_argument_types_raise(kwargs):
    with pytest.raises(TypeError):
        estimate_performance(**kwargs)


def test_unknown_keywords_and_conflicting_aliases_raise():
    with pytest.raises(TypeError):
        estimate_performance(model_id=LLAMA_8B, gpu_name="H100", tp_szie=2)
    with pytest.raises(TypeError, match="tp_size and tensor_parallel_size are two names"):
        estimate_performance(model_id=LLAMA_8B, gpu_name="H100", tensor_parallel_size=2, tp_size=4)
    # the same value under both names is not a conflict
    assert estimate_performance(model_id=LLAMA_8B, gpu_name="H100", tensor_parallel_size=2,
                                tp_size=2).is_valid()
    with pytest.raises(TypeError):
        estimate_performance("H100", 7.0, 1, 4096, 512, None, None, 1, "extra")


def test_enums_and_their_names_are_the_same_request():
    a = estimate_performance(gpu_name="H100", params_b=8, quantization=Quantization.FP8,
                             interconnect=Interconnect.PCIE, tp_size=2, num_gpus=2)
    b = estimate_performance(gpu_name="H100", params_b=8, quantization="fp8", interconnect="pcie",
                             tp_size=2, num_gpus=2)
    assert a.is_valid() and a.to_dict() == b.to_dict()
    assert any("fp8" in x.lower() for x in a.assumptions), a.assumptions
    plain = estimate_performance(gpu_name="H100", params_b=8, quantization=Quantization.NONE)
    default = estimate_performance(gpu_name="H100", params_b=8)
    assert plain.to_dict() == default.to_dict()


# ---- the batch ---------------------------------------------------------------------------------


def test_batch_accepts_every_spelling_of_each_field():
    spellings = [
        {"model_id": LLAMA_8B, "gpu_name": "A100 80GB", "num_gpus": 2, "tensor_parallel_size": 2,
         "input_length": 700, "output_length": 90, "max_model_len": 8192, "concurrency": 8},
        {"model": LLAMA_8B, "gpu_type": "A100 80GB", "num_gpu": 2, "tp_size": 2,
         "input_len": 700, "output_len": 90, "context_len": 8192, "max_concurrency": 8},
        {"model": LLAMA_8B, "gpu": "A100 80GB", "num_gpus": 2, "tp_degree": 2,
         "prompt_tokens": 700, "output_len": 90, "context_len": 8192, "concurrency": 8},
    ]
    results = estimate_performance_batch(spellings)
    assert len(results) == 3 and all(r.is_valid() for r in results), [r.error for r in results]
    assert results[0].to_dict() == results[1].to_dict() == results[2].to_dict()
    single = estimate_performance(model_id=LLAMA_8B, gpu_name="A100 80GB", num_gpus=2,
                                  tensor_parallel_size=2, input_length=700, output_length=90,
                                  max_model_len=8192, concurrency=8)
    assert single.to_dict() == results[0].to_dict()


def test_batch_errors_stay_with_their_item():
    configs = [
        {"model": LLAMA_8B, "gpu": "H100"},
        {"model": LLAMA_8B, "gpu": "H100", "tp_szie": 2},       # unknown field
        {"model": LLAMA_8B, "gpu": "H100", "num_gpus": "2"},    # wrong type
        {"model": LLAMA_8B, "gpu": "H100", "num_gpus": [2]},    # no JSON form
        {"model": "no/such-model", "gpu": "H100"},              # unknown model
        {"params_b": 70, "gpu_type": "H100", "tp_degree": 4, "method": "heuristic"},
        {},                                                      # nothing to estimate
    ]
    r = estimate_performance_batch(configs)
    assert [x.is_valid() for x in r] == [True, False, False, False, False, True, False]
    assert "tp_szie" in r[1].error
    assert "num_gpus" in r[2].error and "integer" in r[2].error
    assert "num_gpus" in r[3].error
    assert "unknown model" in r[4].error
    assert r[5].method == "heuristic"
    assert r[1].to_dict() == {"valid": False, "error": r[1].error}


def test_batch_programmer_errors_raise():
    with pytest.raises(TypeError):
        estimate_performance_batch({"model": LLAMA_8B, "gpu": "H100"})
    with pytest.raises(TypeError, match=r"configs\[1\]"):
        estimate_performance_batch([{"model": LLAMA_8B, "gpu": "H100"}, "H100"])
    with pytest.raises(TypeError):
        estimate_performance_batch([], threads=-1)
    assert estimate_performance_batch([]) == []
    assert len(estimate_performance_batch(iter([{"params_b": 7, "gpu": "H100"}]))) == 1


def mixed_configs(n):
    gpus = ["H100", "A100 80GB", "L40S", "H200"]
    return [
        {"model": LLAMA_8B, "gpu": gpus[i % 4], "tp_size": 1 + (i // 4) % 2,
         "num_gpus": 1 + (i // 4) % 2, "input_len": 128 + 64 * (i % 29),
         "output_len": 32 + 16 * (i % 11), "concurrency": 1 + i % 64, "max_model_len": 8192}
        for i in range(n)
    ]


def test_batch_results_do_not_depend_on_the_thread_count():
    configs = mixed_configs(600)
    one = estimate_performance_batch(configs, threads=1)
    every = estimate_performance_batch(configs)
    assert all(a.is_valid() for a in one)
    for a, b in zip(one, every):
        assert a.mean_ttft_ms == b.mean_ttft_ms and a.output_throughput == b.output_throughput
    # and the numbers of a batch item are those of the same request made alone
    for i in (0, 101, 599):
        c = dict(configs[i])
        alone = estimate_performance(model_id=c.pop("model"), gpu_name=c.pop("gpu"), **{
            {"input_len": "input_length", "output_len": "output_length"}.get(k, k): v
            for k, v in c.items()})
        assert alone.to_dict() == one[i].to_dict()
        assert alone.mean_tpot_ms == one[i].mean_tpot_ms


def test_batch_releases_the_gil():
    # a simulation of 400 requests per item keeps the batch busy for a while; another Python
    # thread must keep running meanwhile
    configs = [{"model": LLAMA_8B, "gpu": "H100", "method": "simulate", "num_prompts": 400,
                "request_rate": 8.0, "seed": i} for i in range(24)]
    ticks = 0
    stop = threading.Event()

    def tick():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    try:
        time.sleep(0.01)
        before = ticks
        t0 = time.perf_counter()
        results = estimate_performance_batch(configs)
        elapsed = time.perf_counter() - t0
        during = ticks - before
    finally:
        stop.set()
        t.join()
    assert all(r.is_valid() for r in results)
    # with the GIL held the ticker would be frozen for the whole call
    assert during >= min(5, int(elapsed / 0.004)), (during, elapsed)


def test_version_is_the_library_version():
    from llmplan import _llmplan

    assert llmplan.__version__ == _llmplan.version()
    assert all(part.isdigit() for part in llmplan.__version__.split("."))
