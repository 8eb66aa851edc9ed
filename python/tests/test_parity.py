"""The three front ends agree: for the same request, the Python result's to_dict() equals what
`llmplan ... --json` prints and what the HTTP API (`llmplan serve`) answers, key by key.
"""

from __future__ import annotations

import pytest

import llmplan
from conftest import cli_json

LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"

# (Python keywords, CLI flags, HTTP body) of one estimate request each
ESTIMATES = {
    "roofline": (
        dict(model_id=LLAMA_8B, gpu_name="H100", input_length=1024, output_length=256,
             concurrency=32),
        ["--model", LLAMA_8B, "--gpu", "H100", "--random-input-len", "1024",
         "--random-output-len", "256", "--max-concurrency", "32"],
        {"model": LLAMA_8B, "gpu": "H100", "input_len": 1024, "output_len": 256,
         "max_concurrency": 32},
    ),
    "roofline-poisson-tp2": (
        dict(model_id="Qwen/Qwen2.5-14B", gpu_name="A100 80GB", tensor_parallel_size=2,
             input_length=2000, output_length=300, request_rate=3.5, max_model_len=8192,
             kv_cache_dtype="fp8"),
        ["--model", "Qwen/Qwen2.5-14B", "--gpu", "A100 80GB", "-tp", "2", "--random-input-len",
         "2000", "--random-output-len", "300", "--request-rate", "3.5", "--max-model-len", "8192",
         "--kv-cache-dtype", "fp8"],
        {"model": "Qwen/Qwen2.5-14B", "gpu": "A100 80GB", "tensor_parallel_size": 2,
         "input_len": 2000, "output_len": 300, "request_rate": 3.5, "max_model_len": 8192,
         "kv_cache_dtype": "fp8"},
    ),
    "simulate": (
        dict(model_id=LLAMA_8B, gpu_name="L40S", method="simulate", num_prompts=200,
             request_rate=4.0, input_length=512, output_length=128, seed=7, max_model_len=4096),
        ["--model", LLAMA_8B, "--gpu", "L40S", "--method", "simulate", "--num-prompts", "200",
         "--request-rate", "4", "--random-input-len", "512", "--random-output-len", "128",
         "--seed", "7", "--max-model-len", "4096"],
        {"model": LLAMA_8B, "gpu": "L40S", "method": "simulate", "num_prompts": 200,
         "request_rate": 4.0, "input_len": 512, "output_len": 128, "seed": 7,
         "max_model_len": 4096},
    ),
    "sharegpt": (
        dict(model_id=LLAMA_8B, gpu_name="H100", dataset_name="sharegpt", concurrency=64),
        ["--model", LLAMA_8B, "--gpu", "H100", "--dataset-name", "sharegpt",
         "--max-concurrency", "64"],
        {"model": LLAMA_8B, "gpu": "H100", "dataset_name": "sharegpt", "max_concurrency": 64},
    ),
    "simulate-bursty-sharegpt-fixed-output": (
        dict(model_id=LLAMA_8B, gpu_name="L40S", method="simulate", num_prompts=150,
             request_rate=6.0, burstiness=0.5, seed=2, dataset_name="sharegpt",
             sharegpt_output_len=96, max_model_len=4096),
        ["--model", LLAMA_8B, "--gpu", "L40S", "--method", "simulate", "--num-prompts", "150",
         "--request-rate", "6", "--burstiness", "0.5", "--seed", "2", "--dataset-name",
         "sharegpt", "--sharegpt-output-len", "96", "--max-model-len", "4096"],
        {"model": LLAMA_8B, "gpu": "L40S", "method": "simulate", "num_prompts": 150,
         "request_rate": 6.0, "burstiness": 0.5, "seed": 2, "dataset_name": "sharegpt",
         "sharegpt_output_len": 96, "max_model_len": 4096},
    ),
    "roofline-burstiness-inf": (
        dict(model_id=LLAMA_8B, gpu_name="H100", request_rate=3.0, burstiness="inf"),
        ["--model", LLAMA_8B, "--gpu", "H100", "--request-rate", "3", "--burstiness", "inf"],
        {"model": LLAMA_8B, "gpu": "H100", "request_rate": 3.0, "burstiness": "inf"},
    ),
    "planned-max-model-len": (
        dict(model_id="meta-llama/Llama-3.1-70B", gpu_name="H100", num_gpus=2,
             tensor_parallel_size=2, input_length=2048, output_length=512),
        ["--model", "meta-llama/Llama-3.1-70B", "--gpu", "H100", "--num-gpus", "2", "-tp", "2",
         "--random-input-len", "2048", "--random-output-len", "512"],
        {"model": "meta-llama/Llama-3.1-70B", "gpu": "H100", "num_gpus": 2,
         "tensor_parallel_size": 2, "input_len": 2048, "output_len": 512},
    ),
    "heuristic": (
        dict(gpu_name="RTX 4090", params_b=13.0, method="heuristic", input_length=512),
        ["--params-b", "13", "--gpu", "RTX 4090", "--method", "heuristic", "--random-input-len",
         "512"],
        {"params_b": 13.0, "gpu": "RTX 4090", "method": "heuristic", "input_len": 512},
    ),
    "disaggregated-2p1d": (
        dict(model_id=LLAMA_8B, gpu_name="H100", disaggregation="2P1D",
             decode_tensor_parallel_size=2, kv_connector="nixl", input_length=4000,
             output_length=200, request_rate=5.0),
        ["--model", LLAMA_8B, "--gpu", "H100", "--disaggregation", "2P1D",
         "--decode-tensor-parallel-size", "2", "--kv-connector", "nixl", "--random-input-len",
         "4000", "--random-output-len", "200", "--request-rate", "5"],
        {"model": LLAMA_8B, "gpu": "H100", "disaggregation": "2P1D",
         "decode_tensor_parallel_size": 2, "kv_connector": "nixl", "input_len": 4000,
         "output_len": 200, "request_rate": 5.0},
    ),
    "does-not-fit": (
        dict(model_id="meta-llama/Llama-3.1-70B", gpu_name="L40S"),
        ["--model", "meta-llama/Llama-3.1-70B", "--gpu", "L40S"],
        {"model": "meta-llama/Llama-3.1-70B", "gpu": "L40S"},
    ),
}


@pytest.mark.parametrize("case", sorted(ESTIMATES))
def test_estimate_python_equals_cli_json(cli, case):
    kwargs, flags, _ = ESTIMATES[case]
    py = llmplan.estimate_performance(**kwargs).to_dict()
    if py["valid"]:
        assert cli_json(cli, ["estimate", *flags, "--json"], 0) == py
    else:
        # the CLI says "No estimate" on stderr with exit 3; its batch form prints the JSON
        import json
        import subprocess

        line = json.dumps(ESTIMATES[case][2])
        p = subprocess.run([cli, "estimate", "--batch", "-", "--json"], input=line,
                           capture_output=True, text=True)
        assert p.returncode == 3
        from_cli = json.loads(p.stdout)
        assert from_cli.pop("line") == 1
        assert from_cli["error"] == "line 1: " + py["error"]
        assert from_cli["valid"] is False


@pytest.mark.parametrize("case", sorted(ESTIMATES))
def test_estimate_python_equals_http(server, case):
    kwargs, _, body = ESTIMATES[case]
    py = llmplan.estimate_performance(**kwargs).to_dict()
    status, answer = server.post("/v1/estimate", body)
    if py["valid"]:
        assert status == 200
        assert answer == py
    else:
        assert status == 422
        assert answer == py


def test_batch_items_equal_the_cli_batch_lines(cli, tmp_path):
    import json

    configs = [body for _, _, body in ESTIMATES.values()]
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in configs))
    import subprocess

    p = subprocess.run([cli, "estimate", "--batch", str(path), "--json"], capture_output=True,
                       text=True)
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    results = llmplan.estimate_performance_batch(configs)
    assert len(lines) == len(results) == len(configs)
    for n, (line, r) in enumerate(zip(lines, results), start=1):
        assert line.pop("line") == n
        d = r.to_dict()
        if not d["valid"]:
            d["error"] = f"line {n}: " + d["error"]
        # a --batch line leaves out the `vllm serve` line a single estimate carries
        d.pop("vllm_serve", None)
        assert line == d


def test_gpus_and_models_equal_the_cli(cli):
    assert [g.to_dict() for g in llmplan.gpus()] == cli_json(cli, ["gpus", "--json"], 0)
    assert [m.to_dict() for m in llmplan.models()] == cli_json(cli, ["models", "--json"], 0)
    h100 = next(g for g in llmplan.gpus() if g.name == "H100 SXM")
    assert h100.vendor == "NVIDIA" and h100.compute_capability == "9.0"
    llama = next(m for m in llmplan.models() if m.id == "meta-llama/Llama-3.1-8B")
    # 8,030,261,248 parameters: the published count of Llama-3.1-8B (its model card)
    assert llama.params_total == 8030261248


# Disaggregated prefill/decode: every keyword of the --disaggregation family reaches the library
# the same way from Python, the CLI and HTTP (2 x TP 1 on L40S + 1 x TP 2 on H200 = 4 GPUs).
DISAGG_PLAN = (
    dict(model=LLAMA_8B, gpu="H100", disaggregation="2P1D", prefill_tensor_parallel_size=1,
         decode_tensor_parallel_size=2, prefill_gpu="L40S", decode_gpu="H200",
         kv_connector="mooncake"),
    ["--model", LLAMA_8B, "--gpu", "H100", "--disaggregation", "2P1D",
     "--prefill-tensor-parallel-size", "1", "--decode-tensor-parallel-size", "2",
     "--prefill-gpu", "L40S", "--decode-gpu", "H200", "--kv-connector", "mooncake"],
)


def test_disaggregated_plan_python_equals_cli_and_http(cli, server):
    kwargs, flags = DISAGG_PLAN
    py = llmplan.plan(**kwargs).to_dict()
    assert py["num_gpus"] == 4
    assert py["disaggregation"]["kv_connector_vllm"] == "MooncakeConnector"
    assert cli_json(cli, ["plan", *flags, "--json"], 0) == py
    status, answer = server.post("/v1/plan", kwargs)
    assert status == 200 and answer == py
