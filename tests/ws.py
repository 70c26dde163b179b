"""A small graphql-transport-ws client over a real WebSocket, for the subscription tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import websockets

PROTOCOL = "graphql-transport-ws"


class GraphQLSocket:
    def __init__(self, socket: websockets.ClientConnection) -> None:
        self.socket = socket

    async def receive(self, seconds: float = 10.0) -> dict[str, Any]:
        """The next message other than ping/pong (answering pings, as clients must)."""
        while True:
            message = json.loads(await asyncio.wait_for(self.socket.recv(), seconds))
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            if message["type"] == "pong":
                continue
            return message

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def subscribe(self, id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        await self.send({"id": id, "type": "subscribe", "payload": payload})

    async def complete(self, id: str) -> None:
        await self.send({"id": id, "type": "complete"})

    async def silent(self, seconds: float) -> bool:
        """True when nothing arrives within ``seconds``."""
        try:
            message = await self.receive(seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"expected silence, received {message}")


@contextlib.asynccontextmanager
async def connect(http_url: str, authorization: str | None = None) -> AsyncIterator[GraphQLSocket]:
    """Open the socket, send connection_init (with the token in its payload) and wait
    for connection_ack."""
    url = http_url.replace("http://", "ws://", 1)
    async with websockets.connect(url, subprotocols=[PROTOCOL]) as socket:  # type: ignore[list-item]
        client = GraphQLSocket(socket)
        payload = {} if authorization is None else {"Authorization": authorization}
        await client.send({"type": "connection_init", "payload": payload})
        ack = await client.receive()
        assert ack["type"] == "connection_ack", ack
        yield client
