"""bench_python.py - llmplan.estimate_performance_batch end to end from Python.

10,000 mixed roofline configurations of one model (Llama-3.1-8B-Instruct on four GPU types,
TP 1 or 2, the model's default context or one of three given, 53 prompt and 31 output (every request fits the smallest context, 4,096)
lengths, closed-loop concurrency or a Poisson rate), given as dicts in the field names other
planners use; timed from the list of dicts to the list of result objects (reading the dicts,
the estimate use case over every core with the GIL released, building the results), best of
five. Then the same with one thread, the process CPU time per item (what the work costs
whatever else the machine runs), and the time to read the numbers back as attributes. Run by
`make bench` (PYTHONPATH pointing at the build's python/ folder).
"""

from __future__ import annotations

import os
import sys
import time

import llmplan

N = 10000
GPUS = ["H100", "H200", "A100 80GB", "L40S"]
CONCURRENCY = [0, 1, 8, 32, 128]


def configs() -> list:
    out = []
    for i in range(N):
        c = {
            "model": "meta-llama/Llama-3.1-8B-Instruct",
            "gpu_type": GPUS[i % 4],
            "tp_size": 1 + (i // 4) % 2,
            "input_len": 64 + 61 * (i % 53),
            "output_len": 16 + 27 * (i % 31),
        }
        if (i // 8) % 4:
            c["max_model_len"] = 4096 << ((i // 8) % 4 - 1)
        if i % 3 == 2:
            c["request_rate"] = 0.5 + 0.25 * (i % 40)
        elif CONCURRENCY[i % 5]:
            c["concurrency"] = CONCURRENCY[i % 5]
        out.append(c)
    return out


def best_of(fn, runs=5):
    best = float("inf")
    result = None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> int:
    cfg = configs()
    c0 = time.process_time()
    t, results = best_of(lambda: llmplan.estimate_performance_batch(cfg))
    cpu = (time.process_time() - c0) / 5
    valid = sum(r.is_valid() for r in results)
    threads = os.cpu_count()
    print(f"python   estimate_performance_batch (one model, mixed) {N / t:10.0f} estimates/s  "
          f"{1e6 * t / N:6.3f} us/item  ({N} configs, {valid} valid, {threads} threads; "
          f"{1e6 * cpu / N:.3f} us of CPU per item)")
    t1, _ = best_of(lambda: llmplan.estimate_performance_batch(cfg, threads=1), runs=3)
    print(f"python   estimate_performance_batch (1 thread)          {N / t1:10.0f} estimates/s  "
          f"{1e6 * t1 / N:6.3f} us/item")
    ta, total = best_of(lambda: sum(r.output_throughput + r.mean_ttft_ms for r in results if r.is_valid()))
    print(f"python   reading two attributes of every result          {2 * N / ta:10.0f} reads/s")
    if valid != N:
        print("bench_python: some configurations were invalid", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
