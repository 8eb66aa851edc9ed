"""gpus() and models(): the embedded GPU database and model catalog."""

from __future__ import annotations

import json
from typing import List, Optional

from . import _llmplan
from ._result import Result

__all__ = ["GPU", "Model", "gpus", "models"]


class GPU(Result):
    """One row of the GPU database, as ``llmplan gpus --json`` lists it.

    Memory in GiB (2**30 bytes) as the driver reports it, bandwidth in GB/s, dense TFLOPS,
    the link between GPUs of a node, and the source of the row.
    """

    name: str
    aliases: str
    vendor: str
    compute_capability: str
    memory_gib: float
    usable_gib: float
    usable_measured: bool
    bandwidth_gbs: float
    bf16_tflops: float
    fp8_tflops: float
    int8_tops: float
    fp4_tflops: float
    link: str
    link_gbs: float
    source: str


class Model(Result):
    """One model of the embedded catalog, as ``llmplan models --json`` lists it."""

    id: str
    model_type: str
    params_total: int
    params_active: int
    num_layers: int
    quantization: str
    source: str
    max_model_len: Optional[int]


def gpus() -> List[GPU]:
    """The embedded GPU database (every row with its source), as ``llmplan gpus --json``."""
    return [GPU(row) for row in json.loads(_llmplan.gpus_json())]


def models() -> List[Model]:
    """The embedded model catalog (usable offline), as ``llmplan models --json``."""
    return [Model(row) for row in json.loads(_llmplan.models_json())]
