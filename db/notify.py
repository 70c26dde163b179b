"""PostgreSQL LISTEN/NOTIFY, fanned out to the subscriptions of one process.

Writers notify inside their transaction (a trigger calls ``pg_notify``), so a
notification is delivered only when the change commits, and to every process listening
on the database: a subscriber connected to one process hears about a petition updated
through another. Each process holds one listening connection (not one per subscriber)
and hands every payload to the queues of the subscriptions on that channel.

A subscriber that falls ``MAX_BACKLOG`` payloads behind is dropped rather than letting
its queue grow without bound; its subscription ends with ``SubscriberTooSlow``. When the
listening connection is lost, the listener reconnects; notifications sent while it was
down are not replayed (subscriptions carry event ids, so a client that needs every event
reads the history it missed through the query API).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

log = logging.getLogger(__name__)

MAX_BACKLOG = 1000
RECONNECT_DELAYS = (0.1, 0.5, 1.0, 2.0, 5.0)


class SubscriberTooSlow(Exception):
    """The subscriber did not keep up with its channel and was dropped."""


class _Closed:
    """Put into a queue to end its subscription."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error


class Notifications:
    """One process's listening connection and the subscriptions fed from it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._queues: dict[str, set[asyncio.Queue[Any]]] = {}
        self._conn: asyncpg.Connection | None = None
        self._listening: set[str] = set()
        self._lock = asyncio.Lock()
        self._closing = False
        self._reconnect: asyncio.Task[None] | None = None

    async def subscribe(self, channel: str) -> AsyncIterator[str]:
        """Payloads on ``channel`` from the first iteration until the caller stops."""
        queue = self._register(channel)
        await self._listen(channel)
        async for payload in self._stream(channel, queue):
            yield payload

    async def open(self, channel: str) -> AsyncIterator[str]:
        """Payloads on ``channel``, listening already when this returns: what commits
        after the call is delivered, however late the caller starts iterating."""
        queue = self._register(channel)
        try:
            await self._listen(channel)
        except BaseException:
            self._queues[channel].discard(queue)
            raise
        return self._stream(channel, queue)

    def _register(self, channel: str) -> asyncio.Queue[Any]:
        # one place more than the backlog: room for the message that ends it
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=MAX_BACKLOG + 1)
        self._queues.setdefault(channel, set()).add(queue)
        return queue

    async def _stream(self, channel: str, queue: asyncio.Queue[Any]) -> AsyncIterator[str]:
        try:
            while True:
                item = await queue.get()
                if isinstance(item, _Closed):
                    if item.error is not None:
                        raise item.error
                    return
                yield item
        finally:
            listeners = self._queues.get(channel)
            if listeners is not None:
                listeners.discard(queue)

    async def close(self) -> None:
        self._closing = True
        if self._reconnect is not None:
            self._reconnect.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect
        for queues in self._queues.values():
            for queue in queues:
                self._offer(queue, _Closed())
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()
        self._conn = None

    async def _listen(self, channel: str) -> None:
        async with self._lock:
            if self._conn is None or self._conn.is_closed():
                await self._connect()
            elif channel not in self._listening:
                await self._conn.add_listener(channel, self._deliver)
                self._listening.add(channel)

    async def _connect(self) -> None:
        conn = await asyncpg.connect(self.url)
        conn.add_termination_listener(self._lost)
        self._listening = set()
        for channel in self._queues:
            await conn.add_listener(channel, self._deliver)
            self._listening.add(channel)
        self._conn = conn

    def _deliver(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        for queue in list(self._queues.get(channel, ())):
            if queue.qsize() < MAX_BACKLOG:
                queue.put_nowait(payload)
            else:
                self._queues[channel].discard(queue)
                too_slow = SubscriberTooSlow(
                    f"dropped after falling {MAX_BACKLOG} notifications behind on {channel}"
                )
                self._offer(queue, _Closed(too_slow))

    @staticmethod
    def _offer(queue: asyncio.Queue[Any], item: Any) -> bool:
        try:
            queue.put_nowait(item)
        except asyncio.QueueFull:
            return False
        return True

    def _lost(self, conn: Any) -> None:
        if self._closing or conn is not self._conn:
            return
        log.warning("the LISTEN connection was lost; reconnecting")
        self._conn = None
        self._reconnect = asyncio.get_running_loop().create_task(self._reconnect_loop())

    async def _reconnect_loop(self) -> None:
        attempt = 0
        while not self._closing:
            try:
                async with self._lock:
                    if self._conn is None or self._conn.is_closed():
                        await self._connect()
                log.info("the LISTEN connection is back")
                return
            except (OSError, asyncpg.PostgresError) as e:
                delay = RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]
                log.warning("LISTEN reconnect failed (%s); retrying in %.1fs", e, delay)
                attempt += 1
                await asyncio.sleep(delay)
