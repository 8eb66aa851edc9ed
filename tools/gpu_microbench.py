"""Measure what fraction of a GPU's datasheet peaks the kernels an LLM engine runs reach.

Run on a machine with a CUDA GPU and PyTorch:
    python3 tools/gpu_microbench.py OUT.json
Writes one JSON object to OUT.json (stdout when no path is given) and a short summary table to
stderr. llmplan's step-model constants (src/perf/efficiency.c, src/perf/step.c) cite these
numbers; the script is kept so anyone can re-measure on their own GPU. Every section is timed
with CUDA events, most of them as CUDA-graph replays (as vLLM runs decode steps), on random data
(never zeros), after warm-up; weights are rotated over several copies so that the 50-60 MB L2
cache does not serve them. A section that fails records its error and the others go on; a time
budget (--budget-s, default 420) skips what is left rather than overrun.

Sections:
  copy                 device-to-device copy of 4 GiB (bytes read + written)
  kernel_floor         time of one tiny kernel inside a CUDA graph, and of one eager launch
  decode_stack         a whole decoder step (RMSNorm, QKV, attention over a KV cache, O, SwiGLU
                       MLP, residuals) for three layer shapes: 8B-class (Llama-3.1-8B), a 70B
                       layer sliced for 8-way tensor parallelism, and a 0.5B-class model; at
                       several batch sizes B and contexts C, as a graph and (some) eager
  gemm_bf16            F.linear(x[M,K], W[N,K]) for LLM layer shapes, M = 1 ... 8192
  gemm_fp8             torch._scaled_mm with float8_e4m3fn operands, per-tensor scales
  moe_grouped          the routed-expert GEMM of a MoE layer: E experts each [N,K] with m tokens
                       each (batched GEMM; and torch._grouped_mm where it exists), for Mixtral,
                       Qwen3-30B-A3B, Qwen3-235B-A22B (TP8 slice), DeepSeek-V3 (TP8 slice), gpt-oss-20b
  moe_stack            whole MoE decoder steps (attention + router + top-k + sorted grouped expert
                       GEMMs + weighted sum), as a graph, for Mixtral-8x7B (TP2 slice) and
                       Qwen3-235B-A22B (TP8 slice) at several batch sizes, uniform random routing
  attn_decode          one-token queries (32 heads, 8 KV heads, dim 128) over B x L cached tokens
  attn_prefill         causal attention over L tokens (32 heads, 8 KV heads, dim 128)
  sampler              argmax, softmax + multinomial, and sort-based top-p over [B, 128256] logits
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

DEV = "cuda" if torch.cuda.is_available() else "cpu"
SMALL = DEV == "cpu"  # a CPU run only checks that the script works: tiny sizes
BF16 = torch.bfloat16 if DEV == "cuda" else torch.float32
START = time.time()
BUDGET_S = 420.0


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def left_s():
    return BUDGET_S - (time.time() - START)


def sync():
    if DEV == "cuda":
        torch.cuda.synchronize()


def events_time(fn, iters, warmup=2):
    """Seconds per call of fn, as the device sees it (events), after warm-up."""
    for _ in range(warmup):
        fn()
    sync()
    if DEV != "cuda":
        t = time.perf_counter()
        for _ in range(iters):
            fn()
        return (time.perf_counter() - t) / iters
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / 1e3 / iters


def host_time(fn, iters, warmup=2):
    """Seconds per call of fn measured on the host clock, synchronizing at the end only: the
    rate at which the CPU issues the work when it, not the GPU, is the limit."""
    for _ in range(warmup):
        fn()
    sync()
    t = time.perf_counter()
    for _ in range(iters):
        fn()
    sync()
    return (time.perf_counter() - t) / iters


def graph_time(body, reps=7):
    """Capture body() in a CUDA graph and return the median seconds of one replay."""
    if DEV != "cuda":
        return events_time(body, 1, 1)
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(2):
            body()
    torch.cuda.current_stream().wait_stream(stream)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        body()
    graph.replay()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    del graph
    times.sort()
    return times[len(times) // 2]


def rand(*shape, dtype=None):
    return torch.randn(*shape, device=DEV, dtype=dtype or BF16)


def copies_for(bytes_one, total=768 * 2**20, most=64):
    """How many copies of a weight to rotate over so that L2 never holds the next one."""
    if SMALL:
        return 2
    return max(2, min(most, math.ceil(total / max(bytes_one, 1))))


def sdpa(q, k, v, causal=False):
    """Scaled-dot-product attention with grouped KV heads (q: [B,H,Lq,d], k/v: [B,KV,Lk,d])."""
    if hasattr(F, "scaled_dot_product_attention"):
        try:
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True)
        except TypeError:  # torch without enable_gqa (CPU check only)
            pass
    rep = q.shape[1] // k.shape[1]
    k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    s = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])  # old torch, CPU check only
    if causal:
        s = s + torch.full(s.shape[-2:], float("-inf"), device=s.device).triu(1)
    return torch.softmax(s, -1) @ v


# ---- sections -------------------------------------------------------------------------------

def sec_copy():
    n = 2**20 if SMALL else 2**31
    a = torch.randint(0, 60000, (n,), device=DEV, dtype=torch.int32).to(torch.int16)
    b = torch.empty_like(a)
    t = events_time(lambda: b.copy_(a), 10)
    out = {"bytes": 2 * a.numel() * 2, "s": t, "gbs": 2 * a.numel() * 2 / t / 1e9}
    m = 256 if SMALL else 8192
    x, w = rand(m, m), rand(m, m)
    t = events_time(lambda: x @ w, 10)
    out["gemm_8192_bf16_tflops"] = 2 * m**3 / t / 1e12
    return out


def sec_kernel_floor():
    x = rand(1024)
    n = 50 if SMALL else 2000

    def body():
        for _ in range(n):
            x.add_(1.0)

    out = {"graph_kernel_s": graph_time(body) / n}
    out["eager_launch_s"] = host_time(lambda: x.add_(1.0), n, warmup=20)
    w = rand(4096 if not SMALL else 64, 4096 if not SMALL else 64)
    v = rand(1, w.shape[1])
    out["eager_small_linear_s"] = host_time(lambda: F.linear(v, w), n // 4, warmup=10)
    return out


class Stack:
    """A decoder step over n_layers of one shape, with a KV cache for up to max_tokens."""

    def __init__(self, hidden, heads, kv_heads, head_dim, inter, n_layers, max_tokens):
        self.h, self.nh, self.kvh, self.d, self.i, self.L = (hidden, heads, kv_heads, head_dim,
                                                             inter, n_layers)
        q_out = (heads + 2 * kv_heads) * head_dim
        self.layers = []
        for _ in range(n_layers):
            self.layers.append({
                "n1": rand(hidden), "n2": rand(hidden),
                "qkv": rand(q_out, hidden) * 0.02, "o": rand(hidden, heads * head_dim) * 0.02,
                "gu": rand(2 * inter, hidden) * 0.02, "down": rand(hidden, inter) * 0.02,
            })
        self.weight_bytes = n_layers * 2 * (q_out * hidden + hidden * heads * head_dim +
                                            3 * hidden * inter)
        self.kv = rand(n_layers, 2, max_tokens * kv_heads * head_dim)
        self.kv_bytes_per_token = n_layers * 2 * kv_heads * head_dim * 2

    def norm(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w

    def step(self, x, b, c):
        nh, kvh, d = self.nh, self.kvh, self.d
        for li, lw in enumerate(self.layers):
            r = x
            y = self.norm(x, lw["n1"])
            qkv = F.linear(y, lw["qkv"])
            q = qkv[:, :nh * d].reshape(b, nh, 1, d)
            cache = self.kv[li, :, :b * kvh * c * d].view(2, b, kvh, c, d)
            o = sdpa(q, cache[0], cache[1])
            x = r + F.linear(o.reshape(b, nh * d), lw["o"])
            r = x
            gu = F.linear(self.norm(x, lw["n2"]), lw["gu"])
            g, u = gu.chunk(2, -1)
            x = r + F.linear(F.silu(g) * u, lw["down"])
        return x


def sec_decode_stack():
    shapes = {
        # name: hidden, heads, kv heads, head dim, intermediate, layers, KV tokens held
        "8b": (4096, 32, 8, 128, 14336, 32, 262144),
        "70b_tp8": (8192, 8, 1, 128, 3584, 80, 524288),
        "0.5b": (896, 14, 2, 64, 4864, 24, 262144),
    }
    points = {
        "8b": [(1, 128), (1, 4096), (1, 32768), (8, 1024), (8, 8192), (32, 1024), (32, 4096),
               (64, 1024), (64, 4096), (128, 1024), (128, 2048), (256, 512), (256, 1024)],
        "70b_tp8": [(1, 128), (1, 8192), (32, 1024), (128, 1024), (256, 2048)],
        "0.5b": [(1, 128), (1, 8192), (32, 1024), (256, 1024)],
    }
    eager_points = {"8b": [(1, 128), (64, 1024)], "70b_tp8": [(1, 128)], "0.5b": [(1, 128)]}
    out = {}
    for name, shape in shapes.items():
        if left_s() < 60:
            out[name] = {"skipped": "time budget"}
            continue
        hidden, heads, kvh, d, inter, layers, tokens = shape
        if SMALL:
            hidden, heads, kvh, d, inter, layers, tokens = 64, 4, 2, 16, 128, 2, 4096
        stack = Stack(hidden, heads, kvh, d, inter, layers, tokens)
        res = {"weight_bytes": stack.weight_bytes,
               "kv_bytes_per_token": stack.kv_bytes_per_token, "layers": layers, "points": {}}
        for b, c in points[name]:
            if SMALL:
                b, c = min(b, 4), min(c, 256)
            x = rand(b, hidden)
            t = graph_time(lambda: stack.step(x, b, c))
            read = stack.weight_bytes + b * c * stack.kv_bytes_per_token
            row = {"s": t, "bytes": read, "gbs": read / t / 1e9}
            if (b, c) in eager_points[name] or SMALL:
                row["eager_s"] = host_time(lambda: stack.step(x, b, c), 20, warmup=5)
            res["points"][f"{b}x{c}"] = row
            log(f"  decode_stack {name} B={b} C={c}: {t * 1e3:.3f} ms, {read / t / 1e9:.0f} GB/s"
                + (f", eager {row['eager_s'] * 1e3:.3f} ms" if "eager_s" in row else ""))
        out[name] = res
        del stack
        if DEV == "cuda":
            torch.cuda.empty_cache()
    return out


GEMM_SHAPES = {  # name: (N out features, K in features), as vLLM stores linear weights
    "8b_qkv": (6144, 4096),
    "8b_o": (4096, 4096),
    "8b_gate_up": (28672, 4096),
    "8b_down": (4096, 14336),
    "70b_tp8_qkv": (1280, 8192),
    "70b_tp8_gate_up": (7168, 8192),
    "70b_tp8_down": (8192, 3584),
    "lm_head_128k": (128256, 4096),
}
GEMM_M = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192]


def sec_gemm_bf16():
    out = {}
    for name, (n, k) in GEMM_SHAPES.items():
        if left_s() < 40:
            out[name] = {"skipped": "time budget"}
            continue
        if SMALL:
            n, k = max(n // 256, 8), max(k // 256, 8)
        copies = copies_for(n * k * 2)
        ws = [rand(n, k) for _ in range(copies)]
        res = {}
        for m in GEMM_M:
            if name == "lm_head_128k" and m > 2048:
                continue
            if SMALL and m > 64:
                break
            x = rand(m, k)
            o = torch.empty(m, n, device=DEV, dtype=BF16)
            calls = copies if m <= 512 else min(copies, 4)

            def body():
                for j in range(calls):
                    torch.mm(x, ws[j % copies].t(), out=o)

            t = graph_time(body) / calls
            res[str(m)] = {"s": t, "gbs": (n * k + m * k + m * n) * 2 / t / 1e9,
                           "tflops": 2 * m * n * k / t / 1e12}
        out[name] = res
        log(f"  gemm_bf16 {name}: M=1 {res['1']['gbs']:.0f} GB/s, "
            f"M=max {list(res.values())[-1]['tflops']:.0f} TFLOPS")
        del ws
    return out


def sec_gemm_fp8():
    if not hasattr(torch, "float8_e4m3fn") or not hasattr(torch, "_scaled_mm"):
        return {"error": "torch has no float8_e4m3fn/_scaled_mm"}
    out = {}
    one = torch.tensor(1.0, device=DEV)
    for name in ["8b_gate_up", "8b_down", "70b_tp8_gate_up", "70b_tp8_qkv"]:
        if left_s() < 30:
            out[name] = {"skipped": "time budget"}
            continue
        n, k = GEMM_SHAPES[name]
        copies = copies_for(n * k)
        ws = [rand(n, k).to(torch.float8_e4m3fn) for _ in range(copies)]
        res = {}
        for m in [1, 8, 16, 32, 64, 128, 256, 512, 2048, 8192]:
            x = rand(m, k).to(torch.float8_e4m3fn)
            calls = copies if m <= 512 else min(copies, 4)
            try:
                def body():
                    for j in range(calls):
                        torch._scaled_mm(x, ws[j % copies].t(), scale_a=one, scale_b=one,
                                         out_dtype=torch.bfloat16)

                t = graph_time(body) / calls
                res[str(m)] = {"s": t, "gbs": (n * k + m * k + 2 * m * n) / t / 1e9,
                               "tflops": 2 * m * n * k / t / 1e12}
            except Exception as e:  # noqa: BLE001 - report, do not hide
                res[str(m)] = {"error": repr(e)[:200]}
        out[name] = res
        del ws
    return out


MOE_SHAPES = {  # name: (experts on the GPU, N = gate+up slice, K = hidden)
    "mixtral_8x7b_tp2": (8, 14336, 4096),
    "qwen3_30b_a3b_tp1": (128, 1536, 2048),
    "qwen3_235b_a22b_tp8": (128, 384, 4096),
    "deepseek_v3_tp8": (256, 512, 7168),
    "gpt_oss_20b_bf16_tp1": (32, 5760, 2880),
}


def sec_moe_grouped():
    out = {}
    grouped = getattr(torch, "_grouped_mm", None)
    for name, (e, n, k) in MOE_SHAPES.items():
        if left_s() < 30:
            out[name] = {"skipped": "time budget"}
            continue
        if SMALL:
            e, n, k = min(e, 4), max(n // 64, 8), max(k // 64, 8)
        copies = copies_for(e * n * k * 2, total=1536 * 2**20, most=8)
        ws = [rand(e, n, k) * 0.02 for _ in range(copies)]
        res = {"expert_bytes": n * k * 2, "experts": e, "points": {}}
        for m in [1, 2, 4, 8, 16, 32, 64, 128, 256]:
            if SMALL and m > 8:
                break
            x = rand(e, m, k)
            row = {}

            def bmm():
                for j in range(copies):
                    torch.bmm(x, ws[j].transpose(1, 2))

            t = graph_time(bmm) / copies
            row["bmm_s"] = t
            row["bmm_gbs"] = e * n * k * 2 / t / 1e9
            row["bmm_tflops"] = 2 * e * m * n * k / t / 1e12
            if grouped is not None and DEV == "cuda":
                try:
                    xs = x.reshape(e * m, k)
                    offs = torch.arange(m, e * m + 1, m, device=DEV, dtype=torch.int32)

                    def gmm():
                        for j in range(copies):
                            grouped(xs, ws[j].transpose(1, 2), offs=offs)

                    t = graph_time(gmm) / copies
                    row["grouped_s"] = t
                    row["grouped_gbs"] = e * n * k * 2 / t / 1e9
                except Exception as ex:  # noqa: BLE001
                    row["grouped_error"] = repr(ex)[:200]
            res["points"][str(m)] = row
        out[name] = res
        p1 = res["points"]["1"]
        log(f"  moe {name}: m=1 bmm {p1['bmm_gbs']:.0f} GB/s"
            + (f", grouped {p1['grouped_gbs']:.0f} GB/s" if "grouped_gbs" in p1 else ""))
        del ws
    return out


class MoEStack(Stack):
    """Decoder layers whose MLP is a routed MoE (top-k of E experts), experts as grouped GEMMs."""

    def __init__(self, hidden, heads, kv_heads, head_dim, experts, topk, inter, n_layers,
                 max_tokens):
        super().__init__(hidden, heads, kv_heads, head_dim, 8, n_layers, max_tokens)
        self.e, self.k, self.mi = experts, topk, inter
        for lw in self.layers:
            lw["gate"] = rand(experts, hidden) * 0.02
            lw["w13"] = rand(experts, 2 * inter, hidden) * 0.02
            lw["w2"] = rand(experts, hidden, inter) * 0.02
        q_out = (heads + 2 * kv_heads) * head_dim
        self.attn_bytes = n_layers * 2 * (q_out * hidden + hidden * heads * head_dim)
        self.expert_bytes = 2 * 3 * hidden * inter

    def moe(self, y, lw):
        t = y.shape[0]
        logits = F.linear(y, lw["gate"])
        w, ids = torch.topk(torch.softmax(logits.float(), -1), self.k, -1)
        flat = ids.reshape(-1)
        order = torch.argsort(flat)
        tok = order // self.k
        xs = y[tok]
        counts = torch.zeros(self.e, device=DEV, dtype=torch.int64).scatter_add_(
            0, flat, torch.ones_like(flat))  # (one_hot and bincount synchronize: not in a graph)
        offs = torch.cumsum(counts, 0).to(torch.int32)
        grouped = getattr(torch, "_grouped_mm", None)
        if grouped is not None and DEV == "cuda":
            h = grouped(xs, lw["w13"].transpose(1, 2), offs=offs)
            g, u = h.chunk(2, -1)
            o = grouped(F.silu(g) * u, lw["w2"].transpose(1, 2), offs=offs)
        else:  # CPU check: one expert at a time
            sorted_ids = flat[order]
            o = torch.empty(xs.shape[0], y.shape[1], device=DEV, dtype=y.dtype)
            for ex in range(self.e):
                m = sorted_ids == ex
                h = F.linear(xs[m], lw["w13"][ex])
                g, u = h.chunk(2, -1)
                o[m] = F.linear(F.silu(g) * u, lw["w2"][ex])
        o = o * w.reshape(-1)[order].unsqueeze(-1).to(o.dtype)
        out = torch.zeros_like(y)
        out.index_add_(0, tok, o)
        return out

    def step(self, x, b, c):
        nh, kvh, d = self.nh, self.kvh, self.d
        for li, lw in enumerate(self.layers):
            r = x
            y = self.norm(x, lw["n1"])
            qkv = F.linear(y, lw["qkv"])
            q = qkv[:, :nh * d].reshape(b, nh, 1, d)
            cache = self.kv[li, :, :b * kvh * c * d].view(2, b, kvh, c, d)
            o = sdpa(q, cache[0], cache[1])
            x = r + F.linear(o.reshape(b, nh * d), lw["o"])
            x = x + self.moe(self.norm(x, lw["n2"]), lw)
        return x


def sec_moe_stack():
    shapes = {  # hidden, heads, kv heads, head dim, experts, top-k, expert inter, layers, tokens
        "mixtral_8x7b_tp2": (4096, 16, 4, 128, 8, 2, 7168, 32, 65536),
        "qwen3_235b_a22b_tp8": (4096, 8, 1, 128, 128, 8, 192, 94, 65536),
    }
    out = {}
    for name, shape in shapes.items():
        if left_s() < 40:
            out[name] = {"skipped": "time budget"}
            continue
        hidden, heads, kvh, d, e, k, inter, layers, tokens = shape
        if SMALL:
            hidden, heads, kvh, d, inter, layers, tokens = 64, 4, 2, 16, 32, 2, 4096
            e = min(e, 8)
        stack = MoEStack(hidden, heads, kvh, d, e, k, inter, layers, tokens)
        res = {"attn_bytes": stack.attn_bytes, "expert_bytes": stack.expert_bytes,
               "experts": e, "topk": k, "layers": layers,
               "kv_bytes_per_token": stack.kv_bytes_per_token, "points": {}}
        for b in [1, 8, 32, 128, 256]:
            c = 512
            if SMALL:
                b, c = min(b, 4), 64
            x = rand(b, hidden)
            try:
                t = graph_time(lambda: stack.step(x, b, c))
            except Exception as ex:  # noqa: BLE001
                res["points"][str(b)] = {"error": repr(ex)[:300]}
                break
            touched = e * (1 - (1 - k / e) ** b)
            read = (stack.attn_bytes + layers * touched * stack.expert_bytes +
                    b * c * stack.kv_bytes_per_token)
            res["points"][str(b)] = {"s": t, "context": c, "experts_touched": touched,
                                     "bytes": read, "gbs": read / t / 1e9}
            log(f"  moe_stack {name} B={b}: {t * 1e3:.3f} ms, {read / t / 1e9:.0f} GB/s")
        out[name] = res
        del stack
        if DEV == "cuda":
            torch.cuda.empty_cache()
    return out


def sec_attn_decode():
    heads, kvh, d = 32, 8, 128
    res = {}
    for b in [1, 4, 16, 64, 256]:
        for L in [256, 1024, 4096, 16384, 65536]:
            if b * L > 2**20 or left_s() < 20:
                continue
            if SMALL:
                if b * L > 4096:
                    continue
            q = rand(b, heads, 1, d)
            kk, vv = rand(b, kvh, L, d), rand(b, kvh, L, d)
            t = graph_time(lambda: sdpa(q, kk, vv))
            kv = 2 * b * kvh * L * d * 2
            res[f"{b}x{L}"] = {"s": t, "gbs": kv / t / 1e9}
    return res


def sec_attn_prefill():
    heads, kvh, d = 32, 8, 128
    res = {}
    for L in [512, 1024, 2048, 4096, 8192, 16384, 32768]:
        if left_s() < 20 or (SMALL and L > 512):
            continue
        q = rand(1, heads, L, d)
        kk, vv = rand(1, kvh, L, d), rand(1, kvh, L, d)
        t = graph_time(lambda: sdpa(q, kk, vv, causal=True))
        flops = 4 * (L * L / 2) * heads * d
        res[str(L)] = {"s": t, "tflops": flops / t / 1e12}
    return res


def sec_sampler():
    vocab = 1024 if SMALL else 128256
    res = {}
    for b in [1, 16, 64, 256, 1024]:
        if left_s() < 15:
            break
        logits = torch.randn(b, vocab, device=DEV, dtype=torch.float32)

        def top_p():
            probs = torch.softmax(logits, -1)
            sp, si = probs.sort(-1, descending=True)
            keep = sp.cumsum(-1) - sp <= 0.9
            sp = sp * keep
            return si.gather(-1, torch.multinomial(sp, 1))

        res[str(b)] = {
            "argmax_s": events_time(lambda: logits.argmax(-1), 20),
            "softmax_multinomial_s": events_time(
                lambda: torch.multinomial(torch.softmax(logits, -1), 1), 20),
            "top_p_sort_s": events_time(top_p, 10),
        }
    return res


SECTIONS = [("copy", sec_copy), ("kernel_floor", sec_kernel_floor),
            ("decode_stack", sec_decode_stack), ("gemm_bf16", sec_gemm_bf16),
            ("moe_grouped", sec_moe_grouped), ("moe_stack", sec_moe_stack), ("attn_decode", sec_attn_decode),
            ("attn_prefill", sec_attn_prefill), ("gemm_fp8", sec_gemm_fp8),
            ("sampler", sec_sampler)]


def main():
    global BUDGET_S
    args = [a for a in sys.argv[1:]]
    if "--budget-s" in args:
        i = args.index("--budget-s")
        BUDGET_S = float(args[i + 1])
        del args[i:i + 2]
    path = args[0] if args else None
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "device": DEV}
    if DEV == "cuda":
        props = torch.cuda.get_device_properties(0)
        free, total = torch.cuda.mem_get_info()
        out.update(device=props.name, total_memory_bytes=total, total_memory_gib=total / 2**30,
                   multiprocessors=props.multi_processor_count)
    for name, fn in SECTIONS:
        t0 = time.time()
        if left_s() < 10:
            out[name] = {"skipped": "time budget"}
            continue
        try:
            out[name] = fn()
        except Exception as e:  # noqa: BLE001 - one failed section must not lose the others
            out[name] = {"error": repr(e)[:400]}
        if DEV == "cuda":
            torch.cuda.empty_cache()
        log(f"{name}: {time.time() - t0:.1f} s" + (
            f" ERROR {out[name]['error']}" if isinstance(out[name], dict) and "error" in out[name]
            else ""))
        text = json.dumps(out, indent=1)
        if path:
            with open(path, "w") as f:  # rewritten after every section: a timeout keeps the rest
                f.write(text)
    if not path:
        print(text)
    c = out.get("copy", {})
    log(f"summary: copy {c.get('gbs', float('nan')):.0f} GB/s, bf16 8192^3 "
        f"{c.get('gemm_8192_bf16_tflops', float('nan')):.0f} TFLOPS, "
        f"total {time.time() - START:.0f} s")


if __name__ == "__main__":
    main()
