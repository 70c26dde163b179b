"""The scratch database: an embedded PostgreSQL in the bench cache, seeded once per scale.

Never the user's default data directory: the server lives in ``<cache>/pg`` and each
scale has its own database. A marker file records the scale and a fingerprint of the
migrations and the seed code, so a second run reuses the data and a change to either
reseeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import asyncpg
import psutil

from bench import REPO, source

PGL_SCHEMA_SQL = REPO / "bench" / "postgraphile" / "schema.sql"

# What the seeded data depends on: a change to any of these reseeds.
SEED_INPUTS = ("db/migrations", "db/seed", "gongzhi/cli/seed.py")


@dataclass(frozen=True)
class Database:
    url: str  # postgresql://postgres@/NAME?host=/socket/dir
    name: str
    socket_dir: str | None
    postmaster_pid: int | None  # None when the database is not ours (--database-url)

    @property
    def node_url(self) -> str:
        """The same database in the form node-postgres reads."""
        if self.socket_dir is None:
            return self.url
        return f"postgres://postgres@/{self.name}?host={self.socket_dir}"


def fingerprint(src: Path) -> str:
    digest = hashlib.sha256()
    for item in SEED_INPUTS:
        root = src / item
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(src)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def start_scratch_server(cache_dir: Path) -> tuple[str, int]:
    """Start (or join) the embedded server in the cache; (maintenance URL, postmaster pid)."""
    from db import embedded

    data_dir = cache_dir / "pg"
    maintenance = embedded.start_server(data_dir)
    pid = int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    return maintenance, pid


def pin_postgres(postmaster_pid: int, cpus: set[int]) -> None:
    """Pin the server and its current processes; backends forked later inherit it."""
    master = psutil.Process(postmaster_pid)
    for proc in [master, *master.children(recursive=True)]:
        with contextlib.suppress(ProcessLookupError):  # a worker that exited meanwhile
            os.sched_setaffinity(proc.pid, cpus)


def socket_dir_of(url: str) -> str | None:
    hosts = parse_qs(urlsplit(url).query).get("host")
    return hosts[0] if hosts and hosts[0].startswith("/") else None


def prepare(
    cache_dir: Path, scale: float, *, src: Path, reseed: bool, log_dir: Path
) -> tuple[Database, bool]:
    """The scratch database for ``scale``, seeded; (database, whether it was seeded now)."""
    from db import embedded

    maintenance, pid = start_scratch_server(cache_dir)
    label = f"{scale:g}".replace(".", "_")
    name = f"gongzhi_bench_s{label}"
    url = embedded.with_database(maintenance, name)
    marker = cache_dir / f"seeded-s{label}.json"
    wanted = {"scale": scale, "fingerprint": fingerprint(src)}
    fresh = reseed or not marker.exists() or json.loads(marker.read_text()) != wanted
    if fresh:
        marker.unlink(missing_ok=True)
        asyncio.run(_execute(maintenance, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        asyncio.run(_execute(maintenance, f'CREATE DATABASE "{name}"'))
        env = {**source.env_for(src), "DATABASE_URL": url}
        gongzhi = [sys.executable, "-m", "gongzhi"]
        _run([*gongzhi, "migrate"], env, src, log_dir / "migrate.log")
        seed = [*gongzhi, "seed", "--demo", "--scale", f"{scale:g}"]
        _run(seed, env, src, log_dir / "seed.log")
        # Fresh tables: statistics and visibility maps now, not mid-measurement.
        asyncio.run(_execute(url, "VACUUM (ANALYZE)"))
        marker.write_text(json.dumps(wanted))
    asyncio.run(install_postgraphile_functions(url))
    return Database(url=url, name=name, socket_dir=socket_dir_of(url), postmaster_pid=pid), fresh


def external(url: str) -> Database:
    """A database the user names (--database-url): already seeded, not ours to pin."""
    asyncio.run(install_postgraphile_functions(url))
    name = urlsplit(url).path.lstrip("/")
    return Database(url=url, name=name, socket_dir=socket_dir_of(url), postmaster_pid=None)


async def _execute(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def install_postgraphile_functions(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET client_min_messages = warning")
        await conn.execute(PGL_SCHEMA_SQL.read_text(encoding="utf-8"))
    finally:
        await conn.close()


async def sizes(url: str) -> dict[str, int]:
    """Row counts for the report."""
    conn = await asyncpg.connect(url)
    try:
        counts = {
            f"{row['level']} areas": row["n"]
            for row in await conn.fetch(
                "SELECT level::text AS level, count(*) AS n FROM area GROUP BY level "
                "ORDER BY min(area_level_rank(level))"
            )
        }
        counts["households"] = await conn.fetchval("SELECT count(*) FROM household")
        counts["residents"] = await conn.fetchval("SELECT count(*) FROM resident")
        return counts
    finally:
        await conn.close()


async def server_version(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def _run(cmd: list[str], env: dict[str, str], cwd: Path, log: Path) -> None:
    print(f"bench: {' '.join(cmd[1:])} (log: {log})", file=sys.stderr)
    with log.open("w") as out:
        done = subprocess.run(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise SystemExit(f"bench: {' '.join(cmd[1:])} failed ({done.returncode}):\n{tail}")
