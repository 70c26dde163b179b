"""Starting and stopping the two GraphQL servers under test, on loopback ports."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import REPO, source

PGL_DIR = REPO / "bench" / "postgraphile"
NODE = PGL_DIR / "node_modules" / ".bin" / "node"
POOL_SIZE = 10  # gongzhi's default pool size; PostGraphile gets the same


@dataclass
class Server:
    name: str  # "gongzhi" or "postgraphile"
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # Headers every request to this server carries (gongzhi: its bearer token).
    headers: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        # Each server runs in its own session: signal its group (uvicorn or node and
        # anything they spawned), nothing else.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pinned(cmd: list[str], cpus: str | None) -> list[str]:
    return ["taskset", "-c", cpus, *cmd] if cpus else cmd


def ensure_postgraphile_installed() -> None:
    if NODE.exists() and (PGL_DIR / "node_modules" / "postgraphile").is_dir():
        return
    print("bench: npm ci in bench/postgraphile (PostGraphile v5 and Node 22)", file=sys.stderr)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PGL_DIR, check=True)


def start_gongzhi(database_url: str, cpus: str | None, log_dir: Path, src: Path) -> Server:
    port = free_port()
    env = {
        **source.env_for(src),
        "DATABASE_URL": database_url,
        "GONGZHI_POOL_MAX_SIZE": str(POOL_SIZE),
        "GONGZHI_GRAPHIQL": "false",
        # A key of our own, so the token below never comes from the user's key file.
        "GONGZHI_JWT_SECRET": secrets.token_hex(32),
    }
    token = admin_token(env, src)
    # log level warning: uvicorn's per-request access log would be measured too.
    cmd = [sys.executable, "-m", "gongzhi", "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--log-level", "warning"]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return _start("gongzhi", pinned(cmd, cpus), env, port, log_dir, cwd=src, headers=headers)


def admin_token(env: dict[str, str], src: Path) -> str | None:
    """An admin bearer token (all areas, like PostGraphile's superuser), if gongzhi has auth.

    Revisions before bearer tokens have no ``gongzhi token`` command and need none.
    """
    if not (src / "gongzhi" / "cli" / "token.py").exists():
        return None
    cmd = [sys.executable, "-m", "gongzhi", "token", "issue", "--role", "admin"]
    cmd += ["--subject", "bench", "--ttl", "24"]
    done = subprocess.run(cmd, cwd=src, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench: gongzhi token issue failed:\n{done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def start_postgraphile(database_url: str, cpus: str | None, log_dir: Path) -> Server:
    ensure_postgraphile_installed()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "NODE_ENV": "production"}
    cmd = [str(NODE), "server.mjs", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--pool-size", str(POOL_SIZE)]
    server = _start("postgraphile", pinned(cmd, cpus), env, port, log_dir, cwd=PGL_DIR)
    lock = json.loads((PGL_DIR / "package-lock.json").read_text())
    pkgs = lock["packages"]
    server.version = pkgs["node_modules/postgraphile"]["version"]
    server.extra["node"] = pkgs["node_modules/node"]["version"]
    return server


def _start(
    name: str,
    cmd: list[str],
    env: dict[str, str],
    port: int,
    log_dir: Path,
    cwd: Path = REPO,
    headers: dict[str, str] | None = None,
) -> Server:
    log = log_dir / f"{name}.log"
    out = log.open("wb")
    process = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = Server(
        name=name,
        url=f"http://127.0.0.1:{port}/graphql",
        process=process,
        log=log,
        headers=headers or {},
    )
    try:
        _wait_ready(server, timeout=90)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_ready(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = server.log.read_text(errors="replace")[-3000:]
            raise SystemExit(f"bench: {server.name} exited while starting:\n{tail}")
        try:
            body, _ = exchange(server.url, {"query": "{ __typename }"}, server.headers, timeout=5)
            if body.get("data", {}).get("__typename") == "Query":
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.3)
    raise SystemExit(f"bench: {server.name} did not answer within {timeout:.0f}s ({server.log})")


def post(url: str, body: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
    return exchange(url, body, timeout=timeout)[0]


def exchange(
    url: str, body: dict[str, Any], headers: dict[str, str] | None = None, timeout: float = 60
) -> tuple[dict[str, Any], dict[str, str]]:
    """POST a GraphQL request: (response body, response headers with lower-case names)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            **(headers or {}),
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            got = {k.lower(): v for k, v in response.headers.items()}
            return dict(json.loads(response.read())), got
    except urllib.error.HTTPError as exc:
        # GraphQL errors may come with 4xx/5xx; the body still says what went wrong.
        got = {k.lower(): v for k, v in exc.headers.items()}
        return dict(json.loads(exc.read() or b"{}")), got
