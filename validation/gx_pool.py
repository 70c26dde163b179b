"""A small pool of Great Expectations worker processes for one suite.

Workers are started from a forkserver (never forked from a process running an event
loop and threads) whose preloaded Great Expectations makes each worker's start cheap;
each worker builds its context and suite once (``gx_worker.init_worker``). ``ready``
proves the suite builds, so a suite Great Expectations would cut short fails the start,
not the first submission.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from validation import gx_worker
from validation.suite import Suite, SuiteError

log = logging.getLogger(__name__)


class SuitePool:
    def __init__(self, suite: Suite, *, workers: int = 1) -> None:
        self.suite = suite
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _start(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                context = multiprocessing.get_context("forkserver")
                # the forkserver imports these once; without '__main__' it never re-runs
                # the program that started it
                context.set_forkserver_preload(["great_expectations", "validation.gx_worker"])
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=context,
                    initializer=gx_worker.init_worker,
                    initargs=(str(self.suite.path), os.getpid()),
                )
            return self._executor

    async def ready(self) -> None:
        """Start the workers (if needed) and check one built the suite as declared."""
        loop = asyncio.get_running_loop()
        try:
            version, count = await loop.run_in_executor(self._start(), gx_worker.describe)
        except BrokenProcessPool:
            self.close()
            # the initializer's exception is only logged by the worker; rebuild it here
            # to say why
            from validation.suite import build_gx_suite

            await asyncio.to_thread(build_gx_suite, self.suite)
            raise SuiteError(f"{self.suite.path.name}: the worker could not start") from None
        if version != self.suite.version or count != len(self.suite.expectations):
            raise SuiteError(
                f"{self.suite.path.name}: workers run version {version} with {count} "
                f"expectations, expected {self.suite.version} with "
                f"{len(self.suite.expectations)}"
            )

    async def validate(
        self, columns: Mapping[str, Sequence[str | None]], parameters: Mapping[str, Any]
    ) -> list[gx_worker.Finding]:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                self._start(), gx_worker.validate, columns, parameters
            )
        except BrokenProcessPool:
            # a worker died (killed, out of memory): the next call starts fresh ones
            log.error("Great Expectations worker died; restarting the pool")
            self.close()
            raise

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
