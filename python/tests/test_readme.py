"""The examples of python/README.md run as written, against this package: each ```python block
is executed in order, and what it prints is checked for the facts the README claims."""

from __future__ import annotations

import contextlib
import io
import os
import re

import pytest

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def blocks():
    if not os.path.isfile(README):
        pytest.skip("*** SKIPPED: python/README.md is not beside the tests ***")
    with open(README, encoding="utf-8") as f:
        return re.findall(r"```python\n(.*?)```", f.read(), flags=re.S)


def test_the_readme_has_examples():
    assert len(blocks()) >= 2


def test_every_readme_example_runs_and_gives_valid_answers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # compare("run.json", ...) names files that are not there
    scope: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for code in blocks():
            exec(compile(code, README, "exec"), scope)
    printed = out.getvalue()
    # the seed example prints a valid estimate, not its error
    assert re.search(r"^TTFT: [0-9.]+ms\nThroughput: [0-9.]+ tok/s$", printed, flags=re.M), printed
    assert scope["est"].is_valid() and scope["est"].method == "heuristic"
    assert [r.is_valid() for r in scope["results"]] == [True, True]
    assert scope["p"].fits and scope["r"].is_valid() and scope["e"].is_valid()
    # run.json does not exist here: compare answers with the reason instead of raising
    assert not scope["c"].is_valid() and "cannot open file run.json" in scope["c"].error
    # disaggregated: valid, and the decode pool's TPOT below the aggregated replicas' (their
    # decode steps share the GPU with 8000-token prompt chunks, the decode pool's do not)
    pd, agg = scope["pd"], scope["agg"]
    assert pd.is_valid() and agg.is_valid(), (pd.error, agg.error)
    assert pd.mean_tpot_ms < agg.mean_tpot_ms
    assert pd.modes["disaggregation"]["kv_transfer_ms"] > 0
