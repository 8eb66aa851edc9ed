"""plan(), recommend(), explain() and compare(): keywords in, the library's JSON request
reader, the use case, and the library's JSON writer out -- the path `llmplan serve` takes for
the same body, with names resolved as the `llmplan` command resolves them (paths and the HF
cache too). The keywords' types and aliases live in _request.py."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Type, TypeVar, Union

from . import _llmplan
from ._request import request
from ._result import Result

__all__ = [
    "Comparison", "Explanation", "Plan", "Recommendation", "compare", "explain", "plan", "recommend"
]


class Plan(Result):
    """vLLM's start-up memory arithmetic for one deployment, as ``llmplan plan --json`` prints it.

    Keys: ``model`` (parameters, layers, KV bytes per token, where each fact came from),
    ``gpu``, ``settings`` (the resolved ``vllm serve`` flags), ``memory`` (per GPU, in GiB:
    budget, weights, activation peak, non-torch, CUDA graphs, KV cache; per pipeline stage),
    ``kv_blocks``, ``kv_tokens``, ``max_concurrency`` (as vLLM logs them), ``max_model_len``,
    ``max_model_len_fit`` (the largest that fits), ``fits``, ``shortfall_gib``,
    ``suggestions`` (changes that would help, each re-planned), ``assumptions``,
    ``ranges`` (the 80 % error bands of ``kv_tokens`` and ``max_concurrency``, each with the
    class and the published start-up logs it rests on; None without evidence) and
    ``vllm_error`` (the error vLLM itself would print when it does not fit).
    """

    model: Dict[str, Any]
    gpu: Dict[str, Any]
    settings: Dict[str, Any]
    memory: Dict[str, Any]
    kv_blocks: int
    blocks_per_request: int
    kv_tokens: int
    max_concurrency: float
    max_model_len: int
    max_model_len_fit: int
    fits: bool
    shortfall_gib: float
    suggestions: List[Dict[str, Any]]
    assumptions: List[str]
    ranges: Dict[str, Any]
    vllm_error: Optional[str]


class Recommendation(Result):
    """The best deployments for a workload under targets, as ``llmplan recommend --json``.

    Keys: ``configs`` (best first: GPU type and count, parallel sizes, vLLM settings, the
    estimate under ``vllm bench serve`` key names, cost with its price source, why it was
    chosen, and ``vllm_serve``), ``meeting_targets``, ``pareto`` (cost against latency),
    ``rejected`` and ``rejected_summary`` (why the rest was dropped), ``closest_misses`` (when
    nothing meets the targets: the nearest configurations and by how much they miss),
    ``enumerated``, ``estimated``, ``search_s``, ``objective``, ``targets``, ``model`` and
    ``price_source``.
    """

    model: str
    objective: str
    targets: Dict[str, Any]
    configs: List[Dict[str, Any]]
    meeting_targets: int
    pareto: List[Dict[str, Any]]
    rejected: Dict[str, int]
    rejected_summary: str
    enumerated: int
    estimated: int
    search_s: float
    price_source: str
    closest_misses: List[Dict[str, Any]]

    @property
    def best(self) -> Optional[Dict[str, Any]]:
        """The best configuration, or None when nothing meets the targets."""
        configs = self._data.get("configs") or []
        return configs[0] if configs else None


class Explanation(Result):
    """Why one configuration performs as it does, as ``llmplan explain --json`` prints it.

    Keys: ``model``, ``gpu``, ``plan`` (the memory plan, as :class:`Plan`'s dict),
    ``estimate`` (the roofline estimate under ``vllm bench serve`` key names), ``steps`` (one
    prefill and one decode step split into compute, memory, communication and host time),
    ``targets`` (each with its margin), ``meets_targets`` and ``vllm_serve``.
    """

    model: str
    gpu: str
    plan: Dict[str, Any]
    estimate: Dict[str, Any]
    steps: Dict[str, Any]
    targets: Dict[str, Any]
    meets_targets: bool
    vllm_serve: str


_R = TypeVar("_R", bound=Result)


def _run(
    use_case: str,
    kwargs: Mapping[str, Any],
    cls: Type[_R],
    kinds: Optional[Mapping[str, Tuple[type, ...]]] = None,
) -> _R:
    """The use case over the library's JSON reader and writer, as `llmplan serve` runs it."""
    body = request(kwargs, kinds)
    try:
        text = json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{use_case}: a value that has no JSON form: {e}") from None
    status, out = _llmplan.call(use_case, text)
    if status != 0:
        return cls({}, error=out)
    return cls(json.loads(out))


def plan(
    model: Optional[str] = None,
    gpu: Optional[str] = None,
    *,
    config: Optional[Mapping[str, Any]] = None,
    num_gpus: Optional[int] = None,
    tensor_parallel_size: Optional[int] = None,
    pipeline_parallel_size: Optional[int] = None,
    data_parallel_size: Optional[int] = None,
    enable_expert_parallel: Optional[bool] = None,
    max_model_len: Union[int, str, None] = None,
    gpu_memory_utilization: Optional[float] = None,
    kv_cache_dtype: Optional[str] = None,
    dtype: Optional[str] = None,
    quantization: Optional[str] = None,
    max_num_seqs: Optional[int] = None,
    max_num_batched_tokens: Optional[int] = None,
    block_size: Optional[int] = None,
    enforce_eager: Optional[bool] = None,
    enable_chunked_prefill: Optional[bool] = None,
    disable_hybrid_kv_cache_manager: Optional[bool] = None,
    cpu_offload_gb: Optional[float] = None,
    vllm_version: Optional[str] = None,
    gpu_memory_gib: Optional[float] = None,
    gpu_bandwidth_gbs: Optional[float] = None,
    gpu_tflops: Optional[float] = None,
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
    model_id: Optional[str] = None,
    gpu_name: Optional[str] = None,
    tp_size: Optional[int] = None,
    context_len: Union[int, str, None] = None,
) -> Plan:
    """Does a model fit on these GPUs under vLLM, and with how much KV cache? (``llmplan plan``)

    Reproduces vLLM's start-up memory arithmetic per GPU and returns a :class:`Plan`. The
    settings are ``vllm serve``'s, under their Python names; ``None`` means vLLM's default.

    Args:
        model: a Hugging Face id (embedded catalog, local HF cache, or the Hub unless
            ``HF_HUB_OFFLINE``), a config.json path or a model directory. Alias ``model_id``.
        gpu: a GPU name, matched forgivingly. Alias ``gpu_name``.
        config: a config.json as a dict, instead of ``model``.
        num_gpus: GPUs in all; alone, tensor parallel over all of them.
        max_model_len: tokens (``16000``), ``"32k"``, or ``"auto"`` (the largest that fits).
            Alias ``context_len``.
        gpu_memory_gib, gpu_bandwidth_gbs, gpu_tflops: describe a GPU the database lacks.
        enable_prefix_caching, speculative_config, acceptance_rate, enable_lora, max_loras,
        max_lora_rank, max_cpu_loras: the serving modes (the drafter's weights and KV, the
            LoRA adapter slots are planned before the KV cache).
        disaggregation, prefill_tensor_parallel_size, decode_tensor_parallel_size,
        prefill_gpu, decode_gpu, kv_connector: disaggregated prefill/decode
            (``disaggregation="2P1D"``): x prefill and y decode instances, each pool's
            tensor-parallel size and GPU (default: ``tensor_parallel_size`` and ``gpu``) and
            the KV connector (nixl, lmcache, nccl or mooncake), as ``--disaggregation`` etc.
        tp_size: alias of ``tensor_parallel_size``.

    Returns:
        A :class:`Plan`; ``plan.fits`` says whether it fits. A request that cannot be planned
        (unknown model or GPU -- the error lists the closest names --, a tensor-parallel size
        vLLM would refuse) returns a Plan with ``is_valid() == False`` and ``error`` set.

    Raises:
        TypeError: an unknown keyword, a value of the wrong type, or conflicting aliases.
    """
    return _run("plan", locals(), Plan)


def recommend(
    model: Optional[str] = None,
    *,
    gpus: Union[Sequence[str], str, None] = None,
    gpu: Optional[str] = None,
    config: Optional[Mapping[str, Any]] = None,
    max_gpus: Optional[int] = None,
    gpus_per_node: Optional[int] = None,
    allow_multi_node_tp: Optional[bool] = None,
    allow_quantization: Optional[bool] = None,
    no_fp8_kv: Optional[bool] = None,
    no_expert_parallel: Optional[bool] = None,
    max_model_len: Union[int, str, None] = None,
    gpu_memory_utilization: Optional[float] = None,
    vllm_version: Optional[str] = None,
    input_len: Optional[int] = None,
    output_len: Optional[int] = None,
    dataset_name: Optional[str] = None,
    sharegpt_output_len: Optional[int] = None,
    num_prompts: Optional[int] = None,
    request_rate: Union[float, str, None] = None,
    burstiness: Union[float, str, None] = None,
    max_concurrency: Optional[int] = None,
    daily_output_tokens: Optional[float] = None,
    max_ttft_ms: Optional[float] = None,
    max_tpot_ms: Optional[float] = None,
    max_itl_ms: Optional[float] = None,
    max_e2e_ms: Optional[float] = None,
    percentile: Optional[int] = None,
    min_throughput: Optional[float] = None,
    objective: Optional[str] = None,
    top: Optional[int] = None,
    random_prefix_len: Optional[int] = None,
    prefix_repetition_prefix_len: Optional[int] = None,
    prefix_repetition_suffix_len: Optional[int] = None,
    prefix_repetition_num_prefixes: Optional[int] = None,
    prefix_repetition_output_len: Optional[int] = None,
    num_turns: Optional[int] = None,
    lora_modules: Union[int, str, Sequence[str], None] = None,
    model_id: Optional[str] = None,
    input_length: Optional[int] = None,
    output_length: Optional[int] = None,
) -> Recommendation:
    """The best deployments for a workload under latency targets (``llmplan recommend``).

    Searches GPU type x count x tensor / pipeline / data parallel sizes x expert parallelism x
    quantization x KV-cache dtype x scheduler limits, drops what vLLM would refuse or what does
    not fit, estimates the rest, keeps what meets every target and ranks it by ``objective``
    (``"throughput-per-gpu"`` (default), ``"cost"``, ``"latency"``, ``"gpus"``).

    Args:
        model: as in :func:`plan` (alias ``model_id``); or ``config``, a config.json dict.
        gpus: GPU types to consider (a list, or ``"H100,L40S"``; default every type); or
            ``gpu``, one type.
        input_len, output_len: tokens per request (aliases ``input_length``, ``output_length``).
        request_rate, max_concurrency, daily_output_tokens: the offered load; burstiness
            (``--burstiness``, default 1.0: Poisson) the shape of the gaps between sends,
            simulated only (the search's roofline says it does not model it).
        dataset_name, sharegpt_output_len: ``"sharegpt"`` for ShareGPT-like lengths;
            ``--sharegpt-output-len`` fixes every output to that many tokens.
        max_ttft_ms, max_tpot_ms, max_itl_ms, max_e2e_ms: latency targets at ``percentile``
            (50, 90 or 99); min_throughput: output tokens/s of the whole deployment.
        top: configurations shown with a full estimate (default 10).

    Returns:
        A :class:`Recommendation`; ``configs`` is empty and ``closest_misses`` says why when
        nothing meets the targets. An invalid request is a Recommendation with
        ``is_valid() == False`` and ``error`` set.

    Raises:
        TypeError: an unknown keyword, a value of the wrong type, or conflicting aliases.
    """
    return _run("recommend", locals(), Recommendation)


def explain(
    model: Optional[str] = None,
    gpu: Optional[str] = None,
    *,
    config: Optional[Mapping[str, Any]] = None,
    num_gpus: Optional[int] = None,
    gpus_per_node: Optional[int] = None,
    tensor_parallel_size: Optional[int] = None,
    pipeline_parallel_size: Optional[int] = None,
    data_parallel_size: Optional[int] = None,
    enable_expert_parallel: Optional[bool] = None,
    max_model_len: Union[int, str, None] = None,
    gpu_memory_utilization: Optional[float] = None,
    kv_cache_dtype: Optional[str] = None,
    dtype: Optional[str] = None,
    quantization: Optional[str] = None,
    max_num_seqs: Optional[int] = None,
    max_num_batched_tokens: Optional[int] = None,
    block_size: Optional[int] = None,
    enforce_eager: Optional[bool] = None,
    enable_chunked_prefill: Optional[bool] = None,
    disable_hybrid_kv_cache_manager: Optional[bool] = None,
    cpu_offload_gb: Optional[float] = None,
    vllm_version: Optional[str] = None,
    gpu_memory_gib: Optional[float] = None,
    gpu_bandwidth_gbs: Optional[float] = None,
    gpu_tflops: Optional[float] = None,
    input_len: Optional[int] = None,
    output_len: Optional[int] = None,
    dataset_name: Optional[str] = None,
    sharegpt_output_len: Optional[int] = None,
    num_prompts: Optional[int] = None,
    request_rate: Union[float, str, None] = None,
    burstiness: Union[float, str, None] = None,
    max_concurrency: Optional[int] = None,
    daily_output_tokens: Optional[float] = None,
    max_ttft_ms: Optional[float] = None,
    max_tpot_ms: Optional[float] = None,
    max_itl_ms: Optional[float] = None,
    max_e2e_ms: Optional[float] = None,
    percentile: Optional[int] = None,
    min_throughput: Optional[float] = None,
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
    model_id: Optional[str] = None,
    gpu_name: Optional[str] = None,
    tp_size: Optional[int] = None,
    input_length: Optional[int] = None,
    output_length: Optional[int] = None,
) -> Explanation:
    """Why one configuration performs as it does (``llmplan explain``).

    Takes :func:`plan`'s keywords, the workload and the targets of :func:`recommend`, and
    returns an :class:`Explanation`: the memory breakdown, the roofline estimate with what
    bounds each phase, one prefill and one decode step, the targets with their margins.

    Args:
        model, gpu: as in :func:`plan` (aliases ``model_id``, ``gpu_name``); or ``config``.
        tensor_parallel_size ... vllm_version: the ``vllm serve`` settings, as in :func:`plan`
            (alias ``tp_size``).
        input_len, output_len, dataset_name, sharegpt_output_len, num_prompts, request_rate,
            burstiness, max_concurrency, daily_output_tokens: the workload, as in
            :func:`recommend` (aliases
            ``input_length``, ``output_length``).
        max_ttft_ms, max_tpot_ms, max_itl_ms, max_e2e_ms, percentile, min_throughput: the
            targets whose margins are shown.

    Returns:
        An :class:`Explanation`; ``meets_targets`` says whether every target is met. A
        request that cannot be explained (unknown model or GPU -- the error lists the closest
        names --, a setting vLLM would refuse) is an Explanation with ``is_valid() == False``
        and ``error`` set.

    Raises:
        TypeError: an unknown keyword, a value of the wrong type, or conflicting aliases.
    """
    return _run("explain", locals(), Explanation)


class Comparison(Result):
    """A real benchmark next to llmplan's estimate, as ``llmplan compare --json`` prints it:
    ``performance`` (per ``vllm bench serve`` key: measured, estimated, error in percent; the
    median absolute error), ``memory`` (the start-up log's lines against the plan), the notes
    on both files and the assumptions. ``result_file`` and ``log_file`` are None unless
    :func:`compare` was given paths."""

    model_id: str
    gpu: str
    result_file: Optional[str]
    log_file: Optional[str]
    method: str
    workload: Dict[str, Any]
    performance: Dict[str, Any]
    memory: Dict[str, Any]
    result_notes: List[str]
    assumptions: List[str]


def _read_file(path: str) -> str:
    """The text of a file, or OSError with the message `llmplan compare` gives for it."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError as e:
        raise OSError(f"cannot open file {path}: {e.strerror or e}") from None


def _read_result(result: Union[Mapping[str, Any], str, "os.PathLike[str]"]) -> Tuple[Dict[str, Any], Optional[str]]:
    """The result file's object and its path (None for a dict); OSError or ValueError if unread."""
    if isinstance(result, Mapping):
        return dict(result), None
    if isinstance(result, (str, os.PathLike)):
        path = os.fspath(result)
        try:
            value = json.loads(_read_file(path))
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not a JSON file: {e}") from None
        if not isinstance(value, dict):
            raise ValueError(f"{path}: expected a JSON object (a vllm bench serve result)")
        return value, path
    raise TypeError(f"result: expected a dict or a path, got {type(result).__name__}")


def _read_log(log: Union[str, "os.PathLike[str]"]) -> Tuple[str, Optional[str]]:
    """The log's text and its path: a str of one line is a path, one of several the text."""
    if isinstance(log, os.PathLike) or (isinstance(log, str) and "\n" not in log):
        path = os.fspath(log)
        return _read_file(path), path
    if isinstance(log, str):
        return log, None
    raise TypeError(f"log: expected the log's text or a path, got {type(log).__name__}")


def compare(
    result: Union[Mapping[str, Any], str, "os.PathLike[str]", None] = None,
    *,
    log: Union[str, "os.PathLike[str]", None] = None,
    model: Optional[str] = None,
    gpu: Optional[str] = None,
    config: Optional[Mapping[str, Any]] = None,
    method: Optional[str] = None,
    num_gpus: Optional[int] = None,
    tensor_parallel_size: Optional[int] = None,
    pipeline_parallel_size: Optional[int] = None,
    data_parallel_size: Optional[int] = None,
    enable_expert_parallel: Optional[bool] = None,
    max_model_len: Union[int, str, None] = None,
    gpu_memory_utilization: Optional[float] = None,
    kv_cache_dtype: Optional[str] = None,
    dtype: Optional[str] = None,
    quantization: Optional[str] = None,
    max_num_seqs: Optional[int] = None,
    max_num_batched_tokens: Optional[int] = None,
    block_size: Optional[int] = None,
    enforce_eager: Optional[bool] = None,
    vllm_version: Optional[str] = None,
    input_len: Optional[float] = None,
    output_len: Optional[float] = None,
    num_prompts: Optional[int] = None,
    max_concurrency: Optional[int] = None,
    request_rate: Union[float, str, None] = None,
    model_id: Optional[str] = None,
    gpu_name: Optional[str] = None,
    tp_size: Optional[int] = None,
) -> Comparison:
    """A real benchmark next to llmplan's estimate for the same deployment (``llmplan compare``).

    Args:
        result: a ``vllm bench serve --save-result`` file (or an older benchmark_serving.py
            one), as a path or as the dict it holds.
        log: a vLLM start-up log (memory and KV-cache lines), as a path (a ``PathLike`` or a
            one-line str) or as its text (a str of several lines).
        model: the model (default: the result's ``model_id``); gpu and the engine settings as
            in :func:`plan` (a result file does not record them).
        input_len, output_len, num_prompts, max_concurrency, request_rate: override the
            workload the result file records (lengths may be means, not whole numbers).

    Returns:
        A :class:`Comparison`. A comparison that cannot be made -- a file that cannot be read
        or is not a result, an unknown model or GPU, no model at all -- is a Comparison with
        ``is_valid() == False`` and ``error`` set.

    Raises:
        TypeError: an unknown keyword, a value of the wrong type, or conflicting aliases.
    """
    kwargs = dict(locals())
    paths: Dict[str, Optional[str]] = {"result_file": None, "log_file": None}
    try:
        if result is not None:
            kwargs["result"], paths["result_file"] = _read_result(result)
        if log is not None:
            kwargs["log"], paths["log_file"] = _read_log(log)
    except (OSError, ValueError) as e:
        # a file that cannot be read is an answer, not a programmer error
        return Comparison({}, error=str(e))
    # a result file's lengths are means: compare takes fractional ones
    c = _run("compare", kwargs, Comparison, {"input_len": (int, float), "output_len": (int, float)})
    if c.is_valid():
        # the file names, as `llmplan compare --result FILE --log FILE` names them
        data = c.to_dict()
        for key, path in paths.items():
            if key in data and path is not None:
                data[key] = path
        c = Comparison(data)
    return c
