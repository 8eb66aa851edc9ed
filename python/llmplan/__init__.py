"""llmplan: plan vLLM deployments before renting GPUs, from Python.

The package is a binding over libllmplan, the same C library as the ``llmplan`` command and
its HTTP API, so results are the same numbers and ``to_dict()`` is the same JSON.

    >>> from llmplan import estimate_performance
    >>> est = estimate_performance(model_id="meta-llama/Llama-3.1-8B-Instruct", gpu_name="H100",
    ...                            input_length=1024, output_length=256, concurrency=32)
    >>> est.is_valid()
    True

Functions: :func:`estimate_performance`, :func:`estimate_performance_batch`, :func:`plan`,
:func:`recommend`, :func:`explain`, :func:`compare`, :func:`gpus`, :func:`models`. Nothing is raised for a configuration that cannot be estimated (the result
says why); only programmer errors (wrong argument types) raise ``TypeError``.
"""

from __future__ import annotations

from ._catalog import GPU, Model, gpus, models
from ._enums import Interconnect, Method, Quantization
from ._estimate import PerformanceEstimate, estimate_performance, estimate_performance_batch
from ._llmplan import __version__
from ._result import Result
from ._usecases import (
    Comparison,
    Explanation,
    Plan,
    Recommendation,
    compare,
    explain,
    plan,
    recommend,
)

__all__ = [
    "Comparison",
    "Explanation",
    "GPU",
    "Interconnect",
    "Method",
    "Model",
    "PerformanceEstimate",
    "Plan",
    "Quantization",
    "Recommendation",
    "Result",
    "__version__",
    "compare",
    "estimate_performance",
    "estimate_performance_batch",
    "explain",
    "gpus",
    "models",
    "plan",
    "recommend",
]
