"""Measure what fraction of a GPU's datasheet peaks the kernels an LLM engine runs reach.

Run on a machine with a CUDA GPU and PyTorch:  python3 tools/gpu_microbench.py > out.json
Prints one JSON object: device, torch-reported total memory, and for each microbenchmark the
achieved bandwidth (GB/s) and/or throughput (TFLOP/s). llmplan's efficiency constants
(src/perf/efficiency.c) cite these numbers; the script is kept so anyone can re-measure.
  - gemm_bf16[M]: x[M,K] @ W[K,N] with W 16384 x 16384 bf16 (512 MiB, streamed once per call):
    small M is weight streaming (decode), large M is compute (prefill).
  - gemm_fp8[M]: torch._scaled_mm with float8_e4m3fn operands (where supported).
  - attn_decode[B,L]: scaled_dot_product_attention of B one-token queries over L cached tokens
    (32 query heads, 8 KV heads, head dim 128, bf16): reads the KV cache.
  - attn_prefill[L]: causal SDPA over L tokens, 32 heads x 128: FLOPs 4 x L^2/2 x heads x d.
  - copy: device-to-device copy of 4 GiB (bytes read + written).
"""
import json
import torch
import torch.nn.functional as F


def timed(fn, iters=20, warmup=3):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / iters / 1e3  # seconds


def main():
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(dev)
    free, total = torch.cuda.mem_get_info()
    out = {"device": props.name, "total_memory_bytes": total, "total_memory_gib": total / 2**30,
           "multiprocessors": props.multi_processor_count, "torch": torch.__version__}
    k = n = 16384
    w = torch.randn(k, n, device=dev, dtype=torch.bfloat16)
    res = {}
    for m in [1, 8, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192]:
        x = torch.randn(m, k, device=dev, dtype=torch.bfloat16)
        t = timed(lambda: x @ w)
        bytes_ = k * n * 2 + m * k * 2 + m * n * 2
        res[str(m)] = {"s": t, "gbs": bytes_ / t / 1e9, "tflops": 2 * m * k * n / t / 1e12}
    out["gemm_bf16"] = res
    res = {}
    try:
        w8 = w.to(torch.float8_e4m3fn).t().contiguous().t()
        one = torch.tensor(1.0, device=dev)
        for m in [1, 32, 256, 1024, 4096, 8192]:
            x8 = torch.randn(m, k, device=dev, dtype=torch.bfloat16).to(torch.float8_e4m3fn)
            t = timed(lambda: torch._scaled_mm(x8, w8, scale_a=one, scale_b=one,
                                               out_dtype=torch.bfloat16))
            bytes_ = k * n + m * k + m * n * 2
            res[str(m)] = {"s": t, "gbs": bytes_ / t / 1e9, "tflops": 2 * m * k * n / t / 1e12}
    except Exception as e:  # noqa: BLE001 - report, do not hide
        res["error"] = repr(e)
    out["gemm_fp8"] = res
    res = {}
    heads, kvh, d = 32, 8, 128
    for b, l in [(1, 4096), (8, 4096), (8, 16384), (32, 4096), (64, 2048), (8, 32768)]:
        q = torch.randn(b, heads, 1, d, device=dev, dtype=torch.bfloat16)
        kk = torch.randn(b, kvh, l, d, device=dev, dtype=torch.bfloat16)
        vv = torch.randn(b, kvh, l, d, device=dev, dtype=torch.bfloat16)
        t = timed(lambda: F.scaled_dot_product_attention(q, kk, vv, enable_gqa=True))
        bytes_ = 2 * b * kvh * l * d * 2
        res[f"{b}x{l}"] = {"s": t, "gbs": bytes_ / t / 1e9}
    out["attn_decode"] = res
    res = {}
    for l in [2048, 4096, 8192, 16384]:
        q = torch.randn(1, heads, l, d, device=dev, dtype=torch.bfloat16)
        kk = torch.randn(1, heads, l, d, device=dev, dtype=torch.bfloat16)
        vv = torch.randn(1, heads, l, d, device=dev, dtype=torch.bfloat16)
        t = timed(lambda: F.scaled_dot_product_attention(q, kk, vv, is_causal=True))
        flops = 4 * (l * l / 2) * heads * d
        res[str(l)] = {"s": t, "tflops": flops / t / 1e12}
    out["attn_prefill"] = res
    a = torch.empty(2**31, device=dev, dtype=torch.uint16)
    bb = torch.empty_like(a)
    t = timed(lambda: bb.copy_(a), iters=10)
    out["copy"] = {"s": t, "gbs": 2 * a.numel() * 2 / t / 1e9}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
