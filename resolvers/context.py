"""Per-request context: the pool and the request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from resolvers.loaders import Loaders


@dataclass
class Context:
    pool: asyncpg.Pool
    max_page_size: int = 500
    request: Any = None
    response: Any = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.pool)
