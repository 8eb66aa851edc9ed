"""Named choices accepted by the llmplan functions (plain strings work too)."""

from __future__ import annotations

from enum import Enum

__all__ = ["Quantization", "Interconnect", "Method"]


class Quantization(str, Enum):
    """Weight quantization, named as ``vllm serve --quantization`` names it.

    ``NONE`` means "no ``--quantization`` flag": the checkpoint's own format (a bf16 checkpoint
    stays bf16, an FP8 or AWQ checkpoint keeps its quantization).
    """

    NONE = "none"
    FP8 = "fp8"
    INT8 = "int8"
    AWQ = "awq"
    GPTQ = "gptq"
    BITSANDBYTES = "bitsandbytes"
    MXFP4 = "mxfp4"
    NVFP4 = "modelopt_fp4"

    def __str__(self) -> str:
        return self.value


class Interconnect(str, Enum):
    """The link between the GPUs of one replica; ``UNKNOWN`` assumes the slowest."""

    NVLINK = "nvlink"
    PCIE = "pcie"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


class Method(str, Enum):
    """How an estimate is made.

    ``ROOFLINE`` (the default): an operator-level step model solved for the workload's steady
    state. ``SIMULATE``: vLLM's scheduler simulated request by request (medians, p90, p99).
    ``HEURISTIC``: 7B baselines per GPU family scaled by size; needs only ``params_b``.
    """

    HEURISTIC = "heuristic"
    ROOFLINE = "roofline"
    SIMULATE = "simulate"

    def __str__(self) -> str:
        return self.value
