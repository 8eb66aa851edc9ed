"""Keywords into a JSON request: the one home of the keywords' types and aliases.

Every function of the package takes keywords spelled as ``vllm serve`` and ``vllm bench
serve`` spell their flags (with the seed APIs' names as aliases), and hands the library the
JSON request its reader takes -- the body ``llmplan serve`` takes for the same use case. Only
the type of each value is checked here: a wrong type is a programmer error and raises
``TypeError``. Values are the library's to judge; what it refuses becomes the result's
``error``, as it does over HTTP.

A new keyword is one line in ``FIELDS`` (the request field and the Python types it takes)
and, when it is another name for a field, one line in ``ALIASES``.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

__all__ = ["ALIASES", "FIELDS", "request"]

_INT: Tuple[type, ...] = (int,)
_NUM: Tuple[type, ...] = (int, float)
_STR: Tuple[type, ...] = (str,)
_BOOL: Tuple[type, ...] = (bool,)
_LEN: Tuple[type, ...] = (int, str)  # 16000, "32k", "auto"

# request field -> the Python types its value may have (bool is never an int here)
FIELDS: Dict[str, Tuple[type, ...]] = {
    # the model and the GPUs
    "model": _STR,
    "params_b": _NUM,
    "gpu": _STR,
    "num_gpus": _INT,
    "gpus_per_node": _INT,
    "interconnect": _STR,
    "gpu_memory_gib": _NUM,
    "gpu_bandwidth_gbs": _NUM,
    "gpu_tflops": _NUM,
    # `vllm serve` settings
    "tensor_parallel_size": _INT,
    "pipeline_parallel_size": _INT,
    "data_parallel_size": _INT,
    "enable_expert_parallel": _BOOL,
    "max_model_len": _LEN,
    "gpu_memory_utilization": _NUM,
    "kv_cache_dtype": _STR,
    "dtype": _STR,
    "quantization": _STR,
    "max_num_seqs": _INT,
    "max_num_batched_tokens": _INT,
    "block_size": _INT,
    "enforce_eager": _BOOL,
    "enable_chunked_prefill": _BOOL,
    "disable_hybrid_kv_cache_manager": _BOOL,
    "cpu_offload_gb": _NUM,
    "vllm_version": _STR,
    # serving modes, as `vllm serve` names them
    "enable_prefix_caching": _BOOL,  # False: --no-enable-prefix-caching
    "speculative_config": (dict, str),  # the --speculative-config JSON, as a dict or its text
    "acceptance_rate": _NUM,
    "enable_lora": _BOOL,
    "max_loras": _INT,
    "max_lora_rank": _INT,
    "max_cpu_loras": _INT,
    "disaggregation": _STR,  # "xPyD": x prefill and y decode instances
    "prefill_tensor_parallel_size": _INT,
    "decode_tensor_parallel_size": _INT,
    "prefill_gpu": _STR,
    "decode_gpu": _STR,
    "kv_connector": _STR,  # nixl, lmcache, nccl or mooncake
    # the workload, as `vllm bench serve` names it
    "input_len": _INT,
    "output_len": _INT,
    "dataset_name": _STR,
    "num_prompts": _INT,
    "request_rate": _NUM,  # or the str "inf"
    "burstiness": _NUM,  # or the str "inf"
    "sharegpt_output_len": _INT,
    "max_concurrency": _INT,
    "daily_output_tokens": _NUM,
    "seed": _INT,
    "random_prefix_len": _INT,
    "prefix_repetition_prefix_len": _INT,
    "prefix_repetition_suffix_len": _INT,
    "prefix_repetition_num_prefixes": _INT,
    "prefix_repetition_output_len": _INT,
    "num_turns": _INT,
    "lora_modules": (int, str, list),  # a count, or the adapters' names
    # targets and the search
    "max_ttft_ms": _NUM,
    "max_tpot_ms": _NUM,
    "max_itl_ms": _NUM,
    "max_e2e_ms": _NUM,
    "percentile": _INT,
    "min_throughput": _NUM,
    "objective": _STR,
    "top": _INT,
    "max_gpus": _INT,
    "allow_multi_node_tp": _BOOL,
    "allow_quantization": _BOOL,
    "no_fp8_kv": _BOOL,
    "no_expert_parallel": _BOOL,
    "method": _STR,
    # compare: the benchmark's result file and start-up log, read by the caller
    "result": (dict,),
    "log": _STR,
}

# keyword -> the request field it is another name for (the seed APIs' names)
ALIASES: Dict[str, str] = {
    "model_id": "model",
    "gpu_name": "gpu",
    "tp_size": "tensor_parallel_size",
    "context_len": "max_model_len",
    "input_length": "input_len",
    "prompt_tokens": "input_len",
    "output_length": "output_len",
    "concurrency": "max_concurrency",
}


def _gpus(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence) and all(isinstance(g, str) for g in value):
        return list(value)
    raise TypeError(f"gpus: expected a list of GPU names or one comma-separated str, got {value!r}")


def _config(value: Any) -> Any:
    if not isinstance(value, Mapping):
        raise TypeError(f"config: expected a config.json as a dict, got {type(value).__name__}")
    return dict(value)


# number fields that also take the str "inf", as `vllm bench serve` does
_INF_FIELDS = ("request_rate", "burstiness")

# fields whose value is not a plain JSON scalar: a function that checks and converts it
_CONVERT = {"gpus": _gpus, "config": _config}


def _check(keyword: str, field: str, value: Any, kinds: Tuple[type, ...]) -> Any:
    """value as the JSON request wants it, or TypeError naming the keyword as given."""
    if field in _CONVERT:
        return _CONVERT[field](value)
    if isinstance(value, Enum) and kinds == _STR:
        value = value.value
    if field in _INF_FIELDS and isinstance(value, str) and value.lower() == "inf":
        return value
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join(k.__name__ for k in kinds)
        if field in _INF_FIELDS:
            names += ' or "inf"'
        raise TypeError(f"{keyword}: expected {names}, got {type(value).__name__} {value!r}")
    return value


def request(
    kwargs: Mapping[str, Any], kinds: Optional[Mapping[str, Tuple[type, ...]]] = None
) -> Dict[str, Any]:
    """The JSON request of a function's keywords (its ``locals()``).

    ``kinds`` widens the types of some fields for one use case (compare takes mean lengths).
    ``None`` means "not given" and is left out, as is ``quantization="none"`` (no
    ``--quantization`` flag: the checkpoint's own format). Aliases become their field.

    Raises:
        TypeError: a value of the wrong type, or two names of one field with different values.
    """
    types = dict(FIELDS, **(kinds or {}))
    out: Dict[str, Any] = {}
    given_as: Dict[str, str] = {}
    for keyword, value in kwargs.items():
        if value is None:
            continue
        field = ALIASES.get(keyword, keyword)
        if field not in types and field not in _CONVERT:
            # a keyword of a signature that this table lacks: a bug of the package
            raise LookupError(f"{keyword}: not in llmplan._request.FIELDS or ALIASES")
        value = _check(keyword, field, value, types.get(field, ()))
        if field in out and out[field] != value:
            raise TypeError(f"{given_as[field]} and {keyword} are two names for one setting: give one")
        if field == "quantization" and value == "none":
            continue
        out[field] = value
        given_as[field] = keyword
    return out
