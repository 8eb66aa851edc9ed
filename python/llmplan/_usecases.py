"""plan() and the other use cases: keywords in, the library's JSON request reader, the use
case, and the library's JSON writer out -- the path `llmplan serve` takes for the same body."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any, Dict, List, Mapping, Optional, Union

from . import _llmplan
from ._result import Result

__all__ = ["Plan", "plan"]


class Plan(Result):
    """vLLM's start-up memory arithmetic for one deployment, as ``llmplan plan --json`` prints it.

    Keys: ``model`` (parameters, layers, KV bytes per token, where each fact came from),
    ``gpu``, ``settings`` (the resolved ``vllm serve`` flags), ``memory`` (per GPU, in GiB:
    budget, weights, activation peak, non-torch, CUDA graphs, KV cache; per pipeline stage),
    ``kv_blocks``, ``kv_tokens``, ``max_concurrency`` (as vLLM logs them), ``max_model_len``,
    ``max_model_len_fit`` (the largest that fits), ``fits``, ``shortfall_gib``,
    ``suggestions`` (changes that would help, each re-planned), ``assumptions`` and
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
    vllm_error: Optional[str]


def _clean(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    return value


def _run(use_case: str, request: Mapping[str, Any], cls: type) -> Any:
    body = {k: _clean(v) for k, v in request.items() if v is not None}
    try:
        text = json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{use_case}: a value that has no JSON form: {e}") from None
    status, out = _llmplan.call(use_case, text)
    if status != 0:
        return cls({}, error=out)
    return cls(json.loads(out))


def _alias(kwargs: Dict[str, Any], name: str, *aliases: str) -> None:
    for alias in aliases:
        value = kwargs.pop(alias, None)
        if value is None:
            continue
        if kwargs.get(name) is not None and kwargs[name] != value:
            raise TypeError(f"{name} and {alias} are two names for one setting: give one")
        kwargs[name] = value


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
        tp_size: alias of ``tensor_parallel_size``.

    Returns:
        A :class:`Plan`; ``plan.fits`` says whether it fits. A request that cannot be planned
        (unknown model or GPU -- the error lists the closest names --, a tensor-parallel size
        vLLM would refuse) returns a Plan with ``is_valid() == False`` and ``error`` set.

    Raises:
        TypeError: an unknown keyword, a value with no JSON form, or conflicting aliases.
    """
    kwargs = dict(locals())
    _alias(kwargs, "model", "model_id")
    _alias(kwargs, "gpu", "gpu_name")
    _alias(kwargs, "tensor_parallel_size", "tp_size")
    _alias(kwargs, "max_model_len", "context_len")
    return _run("plan", kwargs, Plan)
