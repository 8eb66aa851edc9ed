"""Fixtures of the llmplan Python tests: the `llmplan` command and its HTTP API, to check that
the package returns exactly what the other two front ends return for the same request.

`make test` (ctest's test_python) sets LLMPLAN_CLI to the binary of the same build. Run by hand
against an installed package, the parity tests look for `llmplan` on PATH and skip loudly when
there is none; with CI=true a missing binary is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest


def _ci() -> bool:
    return os.environ.get("CI") == "true"


@pytest.fixture(scope="session")
def cli() -> str:
    path = os.environ.get("LLMPLAN_CLI") or shutil.which("llmplan")
    if not path:
        if _ci():
            pytest.fail("CI=true but the llmplan binary is missing (set LLMPLAN_CLI)")
        pytest.skip("*** SKIPPED: no llmplan binary (set LLMPLAN_CLI) for the parity tests ***")
    return path


def run_cli(cli: str, args: List[str], expect_rc: Optional[int] = None) -> Tuple[int, str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    p = subprocess.run([cli, *args], capture_output=True, text=True, env=env, timeout=120)
    if expect_rc is not None:
        assert p.returncode == expect_rc, f"llmplan {' '.join(args)}: rc {p.returncode}\n{p.stderr}"
    return p.returncode, p.stdout


def cli_json(cli: str, args: List[str], expect_rc: Optional[int] = None) -> Any:
    _, out = run_cli(cli, args, expect_rc)
    return json.loads(out)


class Server:
    """`llmplan serve --port 0` on 127.0.0.1 for the length of the test session."""

    def __init__(self, cli: str) -> None:
        env = dict(os.environ, HF_HUB_OFFLINE="1")
        self.proc = subprocess.Popen(
            [cli, "serve", "--port", "0", "--quiet"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if "listening on " not in line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            self.proc.kill()
            raise RuntimeError(f"llmplan serve did not start: {line!r} {err!r}")
        self.url = line.split("listening on ", 1)[1].strip().rstrip("/")

    def post(self, path: str, body: Dict[str, Any]) -> Tuple[int, Any]:
        req = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def server(cli: str) -> Iterator[Server]:
    try:
        s = Server(cli)
    except RuntimeError as e:
        if "libmicrohttpd" in str(e) and not _ci():
            pytest.skip("*** SKIPPED: llmplan serve needs libmicrohttpd ***")
        raise
    yield s
    s.stop()
