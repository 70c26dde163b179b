"""db/notify.py against a real PostgreSQL: delivery on commit only, fan-out, a slow
subscriber dropped, and the listening connection coming back after it is killed."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from db import notify
from db.notify import Notifications, SubscriberTooSlow


async def _next(iterator, seconds: float = 5.0) -> str:  # type: ignore[no-untyped-def]
    return await asyncio.wait_for(anext(iterator), seconds)


async def _listening(notifications: Notifications, channel: str) -> None:
    """Wait until the listener has LISTENed on channel (subscribe starts lazily)."""
    for _ in range(100):
        if channel in notifications._listening:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never listened on {channel}")


async def test_payloads_reach_every_subscriber_after_commit(database_url: str) -> None:
    notifications = Notifications(database_url)
    first = notifications.subscribe("chan_a")
    second = notifications.subscribe("chan_a")
    other = notifications.subscribe("chan_b")
    pending = [asyncio.ensure_future(_next(it)) for it in (first, second)]
    pending_other = asyncio.ensure_future(_next(other, seconds=1.0))
    await _listening(notifications, "chan_a")
    await _listening(notifications, "chan_b")
    writer = await asyncpg.connect(database_url)
    try:
        async with writer.transaction():
            await writer.execute("SELECT pg_notify('chan_a', 'one')")
            await asyncio.sleep(0.2)
            # nothing before the commit
            assert not any(p.done() for p in pending)
        assert await asyncio.gather(*pending) == ["one", "one"]
        with pytest.raises(TimeoutError):
            await pending_other
        await writer.execute("BEGIN")
        await writer.execute("SELECT pg_notify('chan_a', 'never')")
        await writer.execute("ROLLBACK")
        await writer.execute("SELECT pg_notify('chan_a', 'two')")
        # the rolled-back notification never arrives
        assert await _next(first) == "two"
        assert await _next(second) == "two"
    finally:
        await writer.close()
        await notifications.close()


async def test_a_subscriber_that_falls_behind_is_dropped(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notify, "MAX_BACKLOG", 3)
    notifications = Notifications(database_url)
    slow = notifications.subscribe("busy")
    fast = notifications.subscribe("busy")
    started = asyncio.ensure_future(_next(fast))
    first_slow = asyncio.ensure_future(_next(slow))
    await _listening(notifications, "busy")
    writer = await asyncpg.connect(database_url)
    try:
        await writer.execute("SELECT pg_notify('busy', 'p0')")
        assert await started == "p0"
        assert await first_slow == "p0"
        # the slow one reads no more: its queue fills and it is dropped
        for i in range(1, 6):
            await writer.execute(f"SELECT pg_notify('busy', 'p{i}')")
            assert await _next(fast) == f"p{i}"
        received = []
        with pytest.raises(SubscriberTooSlow, match="3 notifications behind on busy"):
            while True:
                received.append(await _next(slow))
        assert received == ["p1", "p2", "p3"]
    finally:
        await writer.close()
        await notifications.close()


async def test_the_listener_reconnects_when_its_connection_dies(database_url: str) -> None:
    notifications = Notifications(database_url)
    stream = notifications.subscribe("survivor")
    first = asyncio.ensure_future(_next(stream))
    await _listening(notifications, "survivor")
    admin = await asyncpg.connect(database_url)
    try:
        listener_pid = notifications._conn.get_server_pid()  # type: ignore[union-attr]
        await admin.execute("SELECT pg_terminate_backend($1)", listener_pid)
        for _ in range(200):
            conn = notifications._conn
            if conn is not None and not conn.is_closed() and conn.get_server_pid() != listener_pid:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the listener did not reconnect")
        await admin.execute("SELECT pg_notify('survivor', 'after')")
        assert await first == "after"
    finally:
        await admin.close()
        await notifications.close()


async def test_close_ends_open_subscriptions(database_url: str) -> None:
    notifications = Notifications(database_url)
    stream = notifications.subscribe("closing")
    waiting = asyncio.ensure_future(_next(stream))
    await _listening(notifications, "closing")
    await notifications.close()
    with pytest.raises(StopAsyncIteration):
        await waiting


async def test_open_listens_before_it_returns(database_url: str) -> None:
    notifications = Notifications(database_url)
    stream = await notifications.open("eager")
    writer = await asyncpg.connect(database_url)
    try:
        # sent before anybody iterates: still delivered
        await writer.execute("SELECT pg_notify('eager', 'early')")
        assert await _next(stream) == "early"
    finally:
        await writer.close()
        await notifications.close()
