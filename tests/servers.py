"""Real servers as subprocesses on free loopback ports: gongzhi itself, and the node harness in
tests/federation (health subgraph, gateway, audit). Used by the federation and HTTP audit tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parent.parent
FEDERATION_DIR = ROOT / "tests" / "federation"
START_TIMEOUT = 45.0
STOP_TIMEOUT = 10.0


def node_harness() -> str:
    """The node binary, failing (not skipping) when the harness is not installed."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: these tests need Node.js 20 or later")
    if not (FEDERATION_DIR / "node_modules" / "@apollo" / "gateway").is_dir():
        pytest.fail(
            "tests/federation/node_modules is missing: run `npm ci --prefix tests/federation` "
            "(from the repository root) before pytest"
        )
    return node


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _graphql_ready(client: httpx.Client, url: str) -> bool:
    response = client.post(url, json={"query": "{ __typename }"})
    return response.status_code == 200 and response.json().get("data") is not None


def _health_ready(client: httpx.Client, url: str) -> bool:
    return client.get(url).status_code == 200


@contextlib.contextmanager
def running(
    name: str,
    argv: list[str],
    *,
    url: str,
    ready_url: str,
    log_dir: Path,
    env: dict[str, str] | None = None,
    ready: Callable[[httpx.Client, str], bool] = _graphql_ready,
    timeout: float = START_TIMEOUT,
) -> Iterator[Server]:
    """Start argv, wait until ready_url answers, yield it; always terminate and wait."""
    log = log_dir / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, url, process, log)
    try:
        _wait_ready(server, ready_url, ready, timeout)
        yield server
    finally:
        _stop(process)


def _wait_ready(
    server: Server, ready_url: str, ready: Callable[[httpx.Client, str], bool], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while True:
            code = server.process.poll()
            if code is not None:
                raise RuntimeError(
                    f"{server.name} exited with {code} before it was ready:\n{server.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError, ValueError):
                if ready(client, ready_url):
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{server.name} not ready at {ready_url} after {timeout:.0f}s:\n"
                    f"{server.log_tail()}"
                )
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def gongzhi(database_url: str, log_dir: Path, *, name: str = "gongzhi") -> Iterator[Server]:
    """`python -m gongzhi serve` on DATABASE_URL (no migration: the database is migrated),
    signing key TEST_SECRET (tests/conftest.py)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(
        name,
        [sys.executable, "-m", "gongzhi", "serve", "--host", "127.0.0.1", "--port", str(port)],
        url=f"{base}/graphql",
        ready_url=f"{base}/health",
        ready=_health_ready,
        log_dir=log_dir,
        env={
            "DATABASE_URL": database_url,
            "GONGZHI_JWT_SECRET": TEST_SECRET,
            "PYTHONWARNINGS": "ignore",
        },
    ) as server:
        yield server


@contextlib.contextmanager
def node_server(script: str, args: list[str], log_dir: Path) -> Iterator[Server]:
    """One of tests/federation's servers, given --port; its GraphQL endpoint is at /."""
    node = node_harness()
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with running(
        script.removesuffix(".mjs"),
        [node, str(FEDERATION_DIR / script), "--port", str(port), *args],
        url=url,
        ready_url=url,
        log_dir=log_dir,
    ) as server:
        yield server
