"""Result: the base of llmplan's typed results (a JSON object of the library, as attributes)."""

from __future__ import annotations

import copy
from typing import Any, Dict, Iterator, Mapping, Optional

__all__ = ["Result"]


class Result(Mapping[str, Any]):
    """A result of the library: every key of its JSON object is an attribute.

    ``to_dict()`` returns exactly the object ``llmplan ... --json`` (and the HTTP API) write
    for the same request. Nested objects stay dicts and lists. A result is also a read-only
    mapping (``result["key"]``, ``"key" in result``, ``len(result)``).

    A request that cannot be answered (an unknown model or GPU, a setting vLLM would refuse)
    is a result too: ``is_valid()`` is False, :attr:`error` says why, and ``to_dict()`` is the
    HTTP API's error body ``{"error": "..."}``.
    """

    __slots__ = ("_data", "_error")

    def __init__(self, data: Mapping[str, Any], error: Optional[str] = None) -> None:
        object.__setattr__(self, "_data", dict(data) if error is None else {"error": error})
        object.__setattr__(self, "_error", error)

    def is_valid(self) -> bool:
        """Whether the request could be answered (else :attr:`error` says why)."""
        return self._error is None

    @property
    def error(self) -> Optional[str]:
        """Why the request could not be answered (one sentence), or None."""
        return self._error

    def to_dict(self) -> Dict[str, Any]:
        """The JSON object as a new dict (a deep copy: changing it changes nothing here)."""
        return copy.deepcopy(self._data)

    def __getattr__(self, name: str) -> Any:
        data = object.__getattribute__(self, "_data")
        if name in data:
            return data[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __dir__(self) -> Any:
        return sorted(set(super().__dir__()) | set(self._data))

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={self._data[k]!r}" for k in list(self._data)[:4])
        more = ", ..." if len(self._data) > 4 else ""
        return f"{type(self).__name__}({shown}{more})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Result):
            return type(self) is type(other) and self._data == other._data
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]
