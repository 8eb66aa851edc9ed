"""estimate_performance and estimate_performance_batch: the seeds' API over libllmplan."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _llmplan
from ._enums import Interconnect, Method, Quantization
from ._request import request

__all__ = ["PerformanceEstimate", "estimate_performance", "estimate_performance_batch"]

Range = Tuple[float, float]


class PerformanceEstimate(_llmplan.Estimate):
    """One performance estimate, as ``llmplan estimate --json`` reports it.

    Check :meth:`is_valid` first: an estimate that could not be made (an unknown model or GPU,
    a configuration that does not fit, a bad value) has ``is_valid() == False``, a one-sentence
    :attr:`error`, and ``None`` for every number.

    The attributes carry the keys of a ``vllm bench serve --save-result`` file
    (``request_throughput``, ``output_throughput``, ``total_token_throughput``,
    ``mean_ttft_ms``, ``median_ttft_ms``, ``p90_ttft_ms``, ``p99_ttft_ms`` and the same for
    ``tpot``, ``itl`` and ``e2el``), llmplan's own (``max_concurrent_requests``,
    ``prefill_tok_s``, ``decode_tok_s``, ``mean_batch``, ``replicas``, ``method``,
    ``assumptions``, ``ranges``, ``bottlenecks``), and the names the two seed APIs use:
    ``time_to_first_token_ms``, ``inter_token_latency_ms``, ``throughput_tokens_per_sec``,
    ``decode_toks_per_s_range``, ``prefill_toks_per_s_range``, ``ttft_ms_range``.
    p90/p99 values are ``None`` unless the method is ``simulate``. Every other key of
    :meth:`to_dict` is also an attribute.
    """

    __slots__ = ()

    # --- the names of the seed APIs -------------------------------------------------------

    @property
    def time_to_first_token_ms(self) -> Optional[float]:
        """Mean time to first token in ms (``mean_ttft_ms``)."""
        return self.mean_ttft_ms

    @property
    def inter_token_latency_ms(self) -> Optional[float]:
        """Mean inter-token latency in ms (``mean_itl_ms``)."""
        return self.mean_itl_ms

    @property
    def time_per_output_token_ms(self) -> Optional[float]:
        """Mean time per output token after the first, in ms (``mean_tpot_ms``)."""
        return self.mean_tpot_ms

    @property
    def end_to_end_latency_ms(self) -> Optional[float]:
        """Mean end-to-end request latency in ms (``mean_e2el_ms``)."""
        return self.mean_e2el_ms

    @property
    def throughput_tokens_per_sec(self) -> Optional[float]:
        """Output tokens per second of the whole deployment (``output_throughput``)."""
        return self.output_throughput

    @property
    def assumptions(self) -> List[str]:
        """What the estimate assumed: efficiencies, steady state, KV capacity, defaults."""
        return list(self.to_dict().get("assumptions", []))

    @property
    def ranges(self) -> Dict[str, Optional[Dict[str, float]]]:
        """``{"ttft_ms": {"lo": .., "hi": ..}, ...}``: the model's uncertainty per quantity."""
        return dict(self.to_dict().get("ranges", {}))

    @property
    def bottlenecks(self) -> Dict[str, str]:
        """What limits each phase: ``{"prefill": "compute", "decode": "memory bandwidth"}``."""
        return dict(self.to_dict().get("bottlenecks", {}))

    # --- the whole result -------------------------------------------------------------------

    def to_dict(self) -> Dict[str, Any]:
        """The estimate as ``llmplan estimate --json`` prints it (a new dict each call)."""
        return json.loads(self._json())

    def __getattr__(self, name: str) -> Any:
        # any other key of the JSON object (model_id, gpu, num_prompts, request_rate, ...)
        if name.startswith("_"):
            raise AttributeError(name)
        d = self.to_dict()
        if name in d:
            return d[name]
        raise AttributeError(f"PerformanceEstimate has no attribute {name!r}")

    def __repr__(self) -> str:
        if not self.is_valid():
            return f"PerformanceEstimate(valid=False, error={self.error!r})"
        return (
            f"PerformanceEstimate(method={self.method!r}, "
            f"ttft_ms={_fmt(self.mean_ttft_ms)}, tpot_ms={_fmt(self.mean_tpot_ms)}, "
            f"output_tok_s={_fmt(self.output_throughput)}, "
            f"max_concurrent_requests={_fmt(self.max_concurrent_requests)})"
        )


def _fmt(v: Optional[float]) -> str:
    return "None" if v is None else f"{v:.4g}"


def estimate_performance(
    gpu_name: Optional[str] = None,
    params_b: Optional[float] = None,
    tp_size: Optional[int] = None,
    context_len: Optional[int] = None,
    prompt_tokens: Optional[int] = None,
    quantization: Union[Quantization, str, None] = None,
    interconnect: Union[Interconnect, str, None] = None,
    num_gpus: Optional[int] = None,
    *,
    model_id: Optional[str] = None,
    tensor_parallel_size: Optional[int] = None,
    input_length: Optional[int] = None,
    output_length: Optional[int] = None,
    method: Union[Method, str, None] = None,
    concurrency: Optional[int] = None,
    request_rate: Union[float, str, None] = None,
    burstiness: Union[float, str, None] = None,
    num_prompts: Optional[int] = None,
    max_model_len: Optional[int] = None,
    model: Optional[str] = None,
    pipeline_parallel_size: Optional[int] = None,
    data_parallel_size: Optional[int] = None,
    kv_cache_dtype: Optional[str] = None,
    dtype: Optional[str] = None,
    max_num_seqs: Optional[int] = None,
    max_num_batched_tokens: Optional[int] = None,
    block_size: Optional[int] = None,
    gpu_memory_utilization: Optional[float] = None,
    enable_expert_parallel: Optional[bool] = None,
    enforce_eager: Optional[bool] = None,
    seed: Optional[int] = None,
    dataset_name: Optional[str] = None,
    sharegpt_output_len: Optional[int] = None,
    enable_prefix_caching: Optional[bool] = None,
    speculative_config: Union[Mapping[str, Any], str, None] = None,
    acceptance_rate: Optional[float] = None,
    enable_lora: Optional[bool] = None,
    max_loras: Optional[int] = None,
    max_lora_rank: Optional[int] = None,
    max_cpu_loras: Optional[int] = None,
    disaggregation: Optional[str] = None,
    prefill_tensor_parallel_size: Optional[int] = None,
    decode_tensor_parallel_size: Optional[int] = None,
    prefill_gpu: Optional[str] = None,
    decode_gpu: Optional[str] = None,
    kv_connector: Optional[str] = None,
    random_prefix_len: Optional[int] = None,
    prefix_repetition_prefix_len: Optional[int] = None,
    prefix_repetition_suffix_len: Optional[int] = None,
    prefix_repetition_num_prefixes: Optional[int] = None,
    prefix_repetition_output_len: Optional[int] = None,
    num_turns: Optional[int] = None,
    lora_modules: Union[int, str, Sequence[str], None] = None,
) -> PerformanceEstimate:
    """Estimate latency and throughput of one vLLM deployment serving one workload.

    Accepts the keywords of both seed APIs -- config-explorer's (``model_id, gpu_name,
    num_gpus, tensor_parallel_size, input_length, output_length``) and vLLM Wizard's
    (``gpu_name, params_b, tp_size, context_len, prompt_tokens, quantization, interconnect,
    num_gpus``, which may also be given by position, in that order) -- and llmplan's own,
    spelled as ``vllm serve`` and ``vllm bench serve`` spell them (keyword-only). ``None``
    means "not given": llmplan's default.

    Args:
        model_id: Hugging Face id (embedded catalog or local HF cache), a ``config.json``
            path or a model directory. Alias: ``model``.
        gpu_name: GPU name, matched forgivingly (``"H100"``, ``"A100-80GB"``, ``"RTX 4090"``).
        num_gpus: GPUs in all; beyond tensor x pipeline parallel they are replicas.
        tensor_parallel_size: ``-tp`` (alias ``tp_size``; default 1).
        input_length: prompt tokens per request (alias ``prompt_tokens``; default 1024).
        output_length: output tokens per request (default 128).
        params_b: only a parameter count in billions: the heuristic method.
        context_len: ``--max-model-len`` (alias ``max_model_len``; default: the model's).
        quantization: ``--quantization`` (``Quantization`` or its vLLM name).
        interconnect: ``nvlink``, ``pcie`` or ``unknown`` (default: the GPU's own link).
        method: ``roofline`` (default), ``simulate`` or ``heuristic``.
        concurrency: ``--max-concurrency``: requests in flight (default: all at once).
        request_rate: ``--request-rate``: Poisson arrivals per second, or ``"inf"``.
        burstiness: ``--burstiness``: shape of the gamma distribution of the gaps between
            sends at a finite rate (default 1.0, a Poisson process; below 1 burstier, above 1
            more regular, ``"inf"`` evenly spaced). Simulated by ``method="simulate"``; the
            other methods say in ``assumptions`` that they do not model it.
        num_prompts: ``--num-prompts`` (default 1000).
        pipeline_parallel_size, data_parallel_size, kv_cache_dtype, dtype, max_num_seqs,
        max_num_batched_tokens, block_size, gpu_memory_utilization, enable_expert_parallel,
        enforce_eager: the ``vllm serve`` flags of the same names.
        seed: seed of the simulation (default 0).
        dataset_name: ``"random"`` (default) or ``"sharegpt"``: ShareGPT-like long-tailed
            lengths whose means are input_length / output_length (else 206 / 204).
            ``sharegpt_output_len`` (``--sharegpt-output-len``) fixes every output to that
            many tokens, prompts keeping the data set's lengths.
            ``"prefix_repetition"``: prompts sharing prefixes (the ``prefix_repetition_*``
            keywords).
        enable_prefix_caching, speculative_config, acceptance_rate, enable_lora, max_loras,
        max_lora_rank, max_cpu_loras: the serving modes, as ``vllm serve`` names them
            (``enable_prefix_caching=False`` is ``--no-enable-prefix-caching``;
            ``speculative_config`` a dict such as ``{"method": "ngram",
            "num_speculative_tokens": 3}``; ``acceptance_rate`` per drafted token).
        disaggregation, prefill_tensor_parallel_size, decode_tensor_parallel_size,
        prefill_gpu, decode_gpu, kv_connector: disaggregated prefill/decode
            (``disaggregation="2P1D"``): x prefill and y decode instances, each pool's
            tensor-parallel size and GPU (default: ``tensor_parallel_size`` and ``gpu``) and
            the KV connector (nixl, lmcache, nccl or mooncake), as ``--disaggregation`` etc.
        random_prefix_len, prefix_repetition_prefix_len, prefix_repetition_suffix_len,
        prefix_repetition_num_prefixes, prefix_repetition_output_len, num_turns,
        lora_modules: shared prefixes, multi-turn conversations (simulate only) and the
            adapters requests spread over, as ``vllm bench serve`` names them.

    The workload defaults to ``vllm bench serve``'s: 1000 prompts sent all at once, so the
    latencies include the time requests wait for a free slot. For the latency of one request
    at a time pass ``concurrency=1``; for a served load pass ``request_rate`` or
    ``concurrency``. When no ``max_model_len`` is given and the model's own context does not
    fit, the estimate plans one that serves the workload and says so in ``assumptions``.

    Returns:
        A :class:`PerformanceEstimate`. A configuration that cannot be estimated (unknown
        model or GPU -- the error lists the closest names --, a model that does not fit, a
        value out of range) returns an estimate with ``is_valid() == False`` and ``error``
        set; nothing is raised for it.

    Raises:
        TypeError: an argument of the wrong type (``num_gpus="2"``), an unknown keyword, or
            two aliases of one setting given different values.

    Example::

        est = estimate_performance(model_id="meta-llama/Llama-3.1-8B-Instruct",
                                   gpu_name="H100", input_length=1024, output_length=256,
                                   concurrency=32)
        if est.is_valid():
            print(est.time_to_first_token_ms, est.throughput_tokens_per_sec)
    """
    (result,) = _llmplan.estimate([request(locals())], PerformanceEstimate, 1)
    return result


def estimate_performance_batch(
    configs: Iterable[Mapping[str, Any]], *, threads: int = 0
) -> List[PerformanceEstimate]:
    """Estimate many configurations at once: one :class:`PerformanceEstimate` per config, in order.

    Each config is a dict with the fields of ``llmplan estimate --batch`` lines, under the
    names other planners use too: ``model_id|model``, ``gpu_name|gpu_type|gpu``,
    ``num_gpus|num_gpu``, ``tensor_parallel_size|tp_size|tp_degree``,
    ``input_length|input_len|prompt_tokens``, ``output_length|output_len``,
    ``context_len|max_model_len``, ``params_b``, ``quantization``, ``interconnect``,
    ``concurrency|max_concurrency``, ``request_rate``, ``num_prompts``, ``method``, and the
    ``vllm serve`` flags (``kv_cache_dtype``, ``max_num_seqs``, ...). A config with an unknown
    field, a value of the wrong type or out of range, or one that cannot be estimated gets an
    invalid estimate saying why; the others are not affected.

    The work runs in C with the GIL released, spread over ``threads`` threads (0: every core).

    Raises:
        TypeError: configs is not an iterable of dicts.
    """
    if isinstance(configs, Mapping) or isinstance(configs, (str, bytes)):
        raise TypeError("configs: expected a list of dicts, got a single " + type(configs).__name__)
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 0:
        raise TypeError(f"threads: expected an int >= 0, got {threads!r}")
    items = []
    for i, c in enumerate(configs):
        if isinstance(c, dict):
            items.append(c)
        elif isinstance(c, Mapping):
            items.append(dict(c))
        else:
            raise TypeError(f"configs[{i}]: expected a dict, got {type(c).__name__}")
    return _llmplan.estimate(items, PerformanceEstimate, threads)
