"""Real processes for the chat's fault and scale tests: a private ``redis-server`` the test can
stop and restart, Daphne processes serving ``config.asgi:application`` against the test database,
and a small ``graphql-transport-ws`` client on ``websockets`` (what a mobile app speaks).

The benchmark (``bench/bench_chat.py``) uses the same helpers against its own database.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from api.ws.protocol import SUBPROTOCOL
from chat.schema import Room as RoomNode
from chat.services import open_case_room
from config.launch import daphne_command
from tests import factories
from tests.conftest import database_url, free_port, require_service
from tests.network.test_cases_builders import published_case

ROOT = Path(__file__).resolve().parent.parent.parent
START_TIMEOUT = 30.0
# Nothing persisted: a restart comes back empty, as a replaced Redis would.
REDIS_COMMAND = (
    "redis-server",
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--daemonize",
    "no",
)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log_path: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"{what} exited: {log_path.read_text(errors='replace')}") from None
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within {START_TIMEOUT:g} s")


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class RedisServer:
    """A ``redis-server`` of our own on a fixed free port: stopped and started again on the same
    port, as an outage and a recovery look to the channel layer. Nothing is persisted."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.log_path = log_dir / f"redis-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*REDIS_COMMAND, "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_for_port(self.port, self.process, self.log_path, "redis-server")

    def stop(self) -> None:
        _stop(self.process)
        self.process = None


class DaphneServer:
    """One Daphne process; its output goes to a file (a pipe nobody reads would block it)."""

    def __init__(self, log_dir: Path, env: Mapping[str, str], application: str = "config.asgi:application"):
        self.port = free_port()
        self.log_path = log_dir / f"daphne-{self.port}.log"
        self.env = dict(env)
        self.application = application
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql/"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                daphne_command("127.0.0.1", self.port, self.application),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_for_port(self.port, self.process, self.log_path, "Daphne")

    def stop(self) -> None:
        _stop(self.process)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def server_env(database: str, redis_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_ENV": "test",
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        # Small pools: several servers share the machine's PostgreSQL with other test runs.
        "DATABASE_POOL_MIN": "1",
        "DATABASE_POOL_MAX": "4",
        **extra,
    }


class Cluster:
    """Daphne processes on the test database sharing one private Redis."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.redis = RedisServer(log_dir)
        self.servers: list[DaphneServer] = []

    def start(self, count: int = 1, **env: str) -> list[DaphneServer]:
        if self.redis.process is None:
            self.redis.start()
        database = database_url(connection.settings_dict)
        started = [
            DaphneServer(self.log_dir, server_env(database, self.redis.url, **env)) for _ in range(count)
        ]
        for server in started:
            self.servers.append(server)
            server.start()
        return started

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        self.redis.stop()


def _require_redis_server() -> None:
    if shutil.which(REDIS_COMMAND[0]) is None:
        require_service("redis-server", "the binary is not installed (apt-get install redis-server)")


# Fixtures are named in the decorator: a test module imports ``*_fixture`` to register them,
# and its test functions take ``cluster`` / ``daphne`` without shadowing an import.
@pytest.fixture(name="cluster")
def cluster_fixture(transactional_db: None, tmp_path: Path) -> Iterator[Cluster]:
    """Start Daphne processes with ``cluster.start(n)``; they and their Redis stop after the test."""
    _require_redis_server()
    running = Cluster(tmp_path)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(name="daphne", scope="module")
def daphne_fixture(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaphneServer]:
    """One Daphne (and its Redis) for a whole module of tests that do not stop either; each test
    still needs ``transactional_db`` for its rows to be visible to the server."""
    _require_redis_server()
    running = Cluster(tmp_path_factory.mktemp("daphne"))
    try:
        yield running.start()[0]
    finally:
        running.stop()


# Senders here post far faster than a person: lift the per-doctor send rate for these servers.
UNLIMITED_SENDS = {"CHAT_SEND_BURST": "100000", "CHAT_SEND_PER_MINUTE": "100000"}


def case_room_of(count: int) -> tuple[str, list[str]]:
    """A case discussion joined by ``count`` new doctors: its global id and their session tokens."""
    doctors = [factories.doctor() for _ in range(count)]
    case = published_case(doctors[0])
    room = None
    for doctor in doctors:
        room = open_case_room(doctor, case.pk)
    assert room is not None
    return RoomNode.global_id(room), [session_token(doctor) for doctor in doctors]


def session_token(user: Any) -> str:
    """A session of ``user``, usable as an allauth headless session token (its key)."""
    client = Client()
    client.force_login(user)
    return str(client.session.session_key)


# --- A graphql-transport-ws client ---------------------------------------------------------


class OperationEnded(Exception):
    """The server completed the operation, answered ``error``, or the socket closed."""

    def __init__(self, message: dict[str, Any] | None) -> None:
        super().__init__(message)
        self.message = message


_END = object()


class Operation:
    def __init__(self, operation_id: str) -> None:
        self.id = operation_id
        self.queue: asyncio.Queue[Any] = asyncio.Queue()

    async def next(self, timeout: float = 5) -> dict[str, Any]:
        """The payload of the next ``next`` message; OperationEnded after ``complete``/``error``."""
        message = await asyncio.wait_for(self.queue.get(), timeout)
        if message is _END or message.get("type") != "next":
            raise OperationEnded(None if message is _END else message)
        payload: dict[str, Any] = message["payload"]
        return payload


class GraphQLWSClient:
    """One socket. Messages are read by a task and routed to their operation's queue."""

    def __init__(self, socket_: ClientConnection) -> None:
        self.socket = socket_
        self.operations: dict[str, Operation] = {}
        self.pongs: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.ids = itertools.count(1)
        self.closed: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, url: str, token: str | None = None, *, init: bool = True) -> GraphQLWSClient:
        socket_ = await connect(url, subprotocols=[SUBPROTOCOL], open_timeout=10, max_size=None)  # type: ignore[list-item]
        client = cls(socket_)
        if init:
            await client.send(
                {"type": "connection_init", "payload": {"sessionToken": token} if token else {}}
            )
            ack = await asyncio.wait_for(client.pongs.get(), 10)
            if ack.get("type") != "connection_ack":
                raise RuntimeError(f"Expected connection_ack, got {ack}")
        return client

    async def _read(self) -> None:
        try:
            with contextlib.suppress(ConnectionClosed):  # how it closed is recorded below
                async for raw in self.socket:
                    message = json.loads(raw)
                    operation = self.operations.get(message.get("id", ""))
                    if operation is None:
                        await self.pongs.put(message)  # connection_ack, pong
                        continue
                    await operation.queue.put(message)
                    if message["type"] in {"complete", "error"}:
                        del self.operations[operation.id]
        finally:
            if not self.closed.done():
                code = self.socket.close_code
                self.closed.set_result((1006 if code is None else code, self.socket.close_reason or ""))
            for operation in self.operations.values():
                operation.queue.put_nowait(_END)
            self.operations.clear()

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None, operation_id: str | None = None
    ) -> Operation:
        operation = Operation(operation_id or str(next(self.ids)))
        self.operations[operation.id] = operation
        payload: dict[str, Any] = {"query": query, **({"variables": variables} if variables else {})}
        await self.send({"id": operation.id, "type": "subscribe", "payload": payload})
        return operation

    async def execute(self, query: str, variables: dict[str, Any] | None = None, timeout: float = 10) -> Any:
        """Run a query or mutation; its ``data`` (GraphQL errors raise)."""
        operation = await self.subscribe(query, variables)
        payload = await operation.next(timeout)
        if payload.get("errors"):
            raise RuntimeError(f"GraphQL errors: {payload['errors']}")
        return payload["data"]

    async def settled(self, timeout: float = 10) -> None:
        """Wait until the server has handled all we sent (it answers in order)."""
        await self.send({"type": "ping", "payload": {"barrier": True}})
        while (await asyncio.wait_for(self.pongs.get(), timeout)).get("type") != "pong":
            continue

    async def wait_closed(self, timeout: float = 5) -> tuple[int, str]:
        return await asyncio.wait_for(asyncio.shield(self.closed), timeout)

    async def close(self) -> None:
        await self.socket.close()
        await asyncio.gather(self.reader, return_exceptions=True)


@contextlib.asynccontextmanager
async def sockets() -> AsyncIterator[list[GraphQLWSClient]]:
    """Collects the clients a test opens; all are closed at the end."""
    opened: list[GraphQLWSClient] = []
    try:
        yield opened
    finally:
        await asyncio.gather(*(client.close() for client in opened), return_exceptions=True)


# --- Chat over the socket (docs/realtime-protocol.md, "Chat") -------------------------------

SEND_MESSAGE = """mutation ($input: SendMessageInput!) { sendMessage(input: $input) {
    message { id seq } delivery errors { code message } } }"""
ROOM_EVENTS = """subscription ($roomId: ID!) { roomEvents(roomId: $roomId) {
    kind seq message { id seq body } } }"""
MESSAGES_AFTER = """query ($roomId: ID!, $after: Int) { messages(roomId: $roomId, after: $after, first: 100) {
    messages { id seq body } hasMore lastSeq } }"""


async def send_message(
    client: GraphQLWSClient, room_id: str, body: str, client_message_id: str, timeout: float = 10
) -> dict[str, Any]:
    """``sendMessage`` over the socket; its payload (``message {id seq}``, ``delivery``)."""
    variables = {"input": {"roomId": room_id, "body": body, "clientMessageId": client_message_id}}
    data = await client.execute(SEND_MESSAGE, variables, timeout)
    payload: dict[str, Any] = data["sendMessage"]
    if payload["errors"]:
        raise RuntimeError(f"sendMessage refused: {payload['errors']}")
    return payload


async def messages_after(client: GraphQLWSClient, room_id: str, after: int) -> list[dict[str, Any]]:
    """Every message after ``after``, oldest first (catch-up, page by page)."""
    caught: list[dict[str, Any]] = []
    while True:
        page = (await client.execute(MESSAGES_AFTER, {"roomId": room_id, "after": after}))["messages"]
        caught.extend(page["messages"])
        if not page["hasMore"]:
            return caught
        after = caught[-1]["seq"]


class RoomView:
    """A room as a client holds it: messages by ``seq``, from live events and catch-up, with the
    gap detection the protocol asks of clients. ``events`` keeps every live event received."""

    def __init__(self, room_id: str) -> None:
        self.room_id = room_id
        self.messages: dict[int, str] = {}  # seq -> message id
        self.events: list[tuple[int, str]] = []
        self.fetched_gaps = 0

    @property
    def last_seq(self) -> int:
        seq = 0
        while seq + 1 in self.messages:
            seq += 1
        return seq

    def hold(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            held = self.messages.setdefault(message["seq"], message["id"])
            assert held == message["id"], f"seq {message['seq']} is two messages: {held}, {message['id']}"

    async def receive(self, client: GraphQLWSClient, events: Operation, timeout: float = 10) -> None:
        """Take the next live message event; fetch the gap if it skips past what we hold."""
        payload = await events.next(timeout)
        event = payload["data"]["roomEvents"]
        if event["kind"] != "MESSAGE_POSTED":
            return
        self.events.append((event["seq"], event["message"]["id"]))
        if event["seq"] > self.last_seq + 1:
            self.fetched_gaps += 1
            self.hold(await messages_after(client, self.room_id, self.last_seq))
        self.hold([event["message"]])


def _http(method: str, url: str, token: str, body: dict[str, Any] | None = None, timeout: float = 10) -> Any:
    request = urllib.request.Request(  # noqa: S310 (a URL of ours)
        url,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", "X-Session-Token": token},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:  # allauth answers a logout with 401
        return json.loads(error.read() or b"null")


async def http_graphql(
    server: DaphneServer, token: str, query: str, variables: dict[str, Any], timeout: float = 10
) -> Any:
    """``POST /graphql/`` with the session token, as a client without a socket does; its data."""
    body = await asyncio.to_thread(
        _http, "POST", f"{server.url}/graphql/", token, {"query": query, "variables": variables}, timeout
    )
    return body["data"]


async def http_logout(server: DaphneServer, token: str) -> None:
    await asyncio.to_thread(_http, "DELETE", f"{server.url}/_allauth/app/v1/auth/session", token)
