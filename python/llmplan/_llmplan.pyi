# Type stub of the C extension llmplan._llmplan (python/src/llmplan_ext.c).
from typing import Any, Dict, List, Optional, Tuple, Type, TypeVar

__version__: str

_E = TypeVar("_E", bound="Estimate")

class Estimate:
    valid: bool
    error: Optional[str]
    method: Optional[str]
    request_throughput: Optional[float]
    output_throughput: Optional[float]
    total_token_throughput: Optional[float]
    mean_ttft_ms: Optional[float]
    median_ttft_ms: Optional[float]
    p90_ttft_ms: Optional[float]
    p99_ttft_ms: Optional[float]
    mean_tpot_ms: Optional[float]
    median_tpot_ms: Optional[float]
    p90_tpot_ms: Optional[float]
    p99_tpot_ms: Optional[float]
    mean_itl_ms: Optional[float]
    median_itl_ms: Optional[float]
    p90_itl_ms: Optional[float]
    p99_itl_ms: Optional[float]
    mean_e2el_ms: Optional[float]
    median_e2el_ms: Optional[float]
    p90_e2el_ms: Optional[float]
    p99_e2el_ms: Optional[float]
    max_concurrent_requests: Optional[float]
    prefill_tok_s: Optional[float]
    decode_tok_s: Optional[float]
    mean_batch: Optional[float]
    duration: Optional[float]
    replicas: Optional[int]
    completed: Optional[int]
    prefill_bottleneck: Optional[str]
    decode_bottleneck: Optional[str]
    ttft_ms_range: Optional[Tuple[float, float]]
    tpot_ms_range: Optional[Tuple[float, float]]
    itl_ms_range: Optional[Tuple[float, float]]
    e2el_ms_range: Optional[Tuple[float, float]]
    output_throughput_range: Optional[Tuple[float, float]]
    prefill_toks_per_s_range: Optional[Tuple[float, float]]
    decode_toks_per_s_range: Optional[Tuple[float, float]]
    def is_valid(self) -> bool: ...
    def _json(self) -> str: ...

def version() -> str: ...
def gpus_json() -> str: ...
def models_json() -> str: ...
def estimate(configs: List[Dict[str, Any]], cls: Type[_E], threads: int = ...) -> List[_E]: ...
def call(use_case: str, request: str) -> Tuple[int, str]: ...
