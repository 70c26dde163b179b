"""Benchmark harness: gongzhi against PostGraphile v5 and the SQL limit (see README.md).

Not part of the test run and not installed with the package: run it from the repository
root as ``python -m bench``.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
