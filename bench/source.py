"""Which gongzhi is measured: the working tree, or a clean copy of a git revision.

Others may be editing the working tree while a benchmark runs; ``--rev`` runs gongzhi's
migrate, seed and serve from ``git archive REV`` unpacked in the cache instead, so the
figures belong to one commit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from bench import REPO


def resolve(rev: str) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench: no such revision {rev!r}: {done.stderr.strip()}")
    return done.stdout.strip()


def checkout(sha: str, cache_dir: Path) -> Path:
    """The tree of commit ``sha`` under ``<cache>/src/<sha>``, unpacked once."""
    target = cache_dir / "src" / sha
    if (target / ".complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = subprocess.Popen(
        ["git", "archive", "--format=tar", sha], cwd=REPO, stdout=subprocess.PIPE
    )
    assert archive.stdout is not None
    with tarfile.open(fileobj=archive.stdout, mode="r|") as tar:
        tar.extractall(target, filter="data")
    if archive.wait() != 0:
        raise SystemExit(f"bench: git archive {sha} failed")
    (target / ".complete").touch()
    return target


def env_for(src: Path) -> dict[str, str]:
    """Environment for running ``python -m gongzhi`` from ``src`` (cwd ``src`` too).

    The current directory comes first on sys.path, ahead of the venv's editable install
    of the working tree, so the copy's packages are the ones imported.
    """
    env = dict(os.environ)
    if src != REPO:
        env["PYTHONPATH"] = str(src)
    return env
