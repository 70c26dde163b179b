"""Coalesce work items that arrive within a short window into one batch.

Great Expectations costs about the same per run for one row as for a thousand, and so
does a transaction that stores them, so concurrent small submissions (a hundred
frontends each sending one report) are gathered for ``window`` seconds and processed
together. Each caller awaits its own result; an exception for the batch reaches every
caller in it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[T, R]):
    def __init__(
        self,
        process: Callable[[list[T]], Awaitable[Sequence[R | BaseException]]],
        *,
        window: float = 0.01,
        max_size: int = 20_000,
        size: Callable[[T], int] = lambda item: 1,
        concurrency: int = 1,
    ) -> None:
        """``process`` gets a batch and returns one result (or exception) per item, in order.
        A batch is sent when ``window`` seconds passed since its first item, or at once
        when its items' total ``size`` reaches ``max_size``; but at most ``concurrency``
        batches are processed at a time, and what arrives meanwhile waits and goes in the
        next batch (group commit: the busier, the larger the batches)."""
        self.process = process
        self.window = window
        self.max_size = max_size
        self.size = size
        self.concurrency = concurrency
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._pending_size = 0
        self._timer: asyncio.TimerHandle | None = None
        self._running: set[asyncio.Task[None]] = set()
        self.batches = 0  # how many batches were processed (for tests and metrics)

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, future))
        self._pending_size += self.size(item)
        if self._pending_size >= self.max_size:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.window, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending or len(self._running) >= self.concurrency:
            return  # sent when a running batch finishes
        batch, self._pending, self._pending_size = self._pending, [], 0
        task = asyncio.get_running_loop().create_task(self._run(batch))
        # keep a reference: the loop holds tasks only weakly
        self._running.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._pending and self._timer is None:
            self._flush()

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        self.batches += 1
        try:
            results = await self.process([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"{len(results)} results for a batch of {len(batch)}")
        except BaseException as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # the caller was cancelled
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def drain(self) -> None:
        """Send what is pending and wait for every batch in flight."""
        self._flush()
        while self._running or self._pending:
            await asyncio.gather(*self._running, return_exceptions=True)
            self._flush()
