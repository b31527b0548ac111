"""What the siren tests share: the brokers (the shared one, or a private one to kill), an MQTT
reader that keeps what it hears, and waiting.

Not a conftest: imported by the `test_siren*` modules by name (pytest puts this directory on
the path). Every test uses a topic prefix of its own on the shared broker and clears the
retained messages under it when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiomqtt
import orjson
import pytest

SHARED_HOST, SHARED_PORT = "127.0.0.1", 1883
REQUIRE_SERVICES = os.environ.get("TOCSIN_REQUIRE_SERVICES") == "1"
SHARED_URL = f"mqtt://{SHARED_HOST}:{SHARED_PORT}"


def need(reason: str) -> None:
    """Skip for want of a service, or fail when services are required (as conftest's `need`;
    not imported from it, since another directory's conftest may hold that module name)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required but unavailable: {reason}")
    pytest.skip(reason)


def new_prefix() -> str:
    return f"tocsin-test/{uuid.uuid4().hex[:12]}/v1"


def reachable(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def shared_broker() -> str:
    if not reachable(SHARED_HOST, SHARED_PORT):
        need(f"Mosquitto at {SHARED_URL} is not running")
    return SHARED_URL


async def until(predicate: Callable[[], object], timeout: float = 30.0, what: str = "") -> None:
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what or predicate}") from None


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float = 30.0, what: str = ""
) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not await check():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what or check}") from None


@dataclass
class Heard:
    topic: str
    data: Any
    retain: bool


@dataclass
class Reader:
    """An MQTT client that keeps every message on its subscriptions (and reconnects)."""

    url: str
    topics: tuple[str, ...]
    qos: int = 1
    messages: list[Heard] = field(default_factory=list)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def on(self, topic: str) -> list[Any]:
        return [m.data for m in self.messages if m.topic == topic]

    def last(self, topic: str) -> Any:
        found = self.on(topic)
        return found[-1] if found else None

    async def _run(self) -> None:
        host, port = self.url.removeprefix("mqtt://").split(":")
        while True:
            try:
                async with aiomqtt.Client(host, int(port)) as client:
                    for topic in self.topics:
                        await client.subscribe(topic, qos=self.qos)
                    self.connected.set()
                    async for message in client.messages:
                        payload = message.payload
                        assert isinstance(payload, bytes)
                        data = orjson.loads(payload) if payload else None
                        self.messages.append(Heard(message.topic.value, data, message.retain))
            except aiomqtt.MqttError:
                self.connected.clear()
                await asyncio.sleep(0.1)


@asynccontextmanager
async def reading(url: str, *topics: str, qos: int = 1) -> AsyncIterator[Reader]:
    """A reader; subscribe at QoS 0 where thousands of retained messages may come at once."""
    reader = Reader(url, topics, qos)
    reader.start()
    try:
        async with asyncio.timeout(10):
            await reader.connected.wait()
        yield reader
    finally:
        await reader.stop()


async def retained(
    url: str, pattern: str, quiet: float = 0.3, expect: int = 0, timeout: float = 60.0
) -> dict[str, Any]:
    """Every retained message under a topic pattern, as a client connecting now gets them:
    until none comes for `quiet` seconds, once there are at least `expect` of them (a loaded
    broker may pause longer than `quiet` in the middle of thousands)."""
    found: dict[str, Any] = {}
    host, port = url.removeprefix("mqtt://").split(":")
    deadline = asyncio.get_running_loop().time() + timeout
    async with aiomqtt.Client(host, int(port)) as client:
        await client.subscribe(pattern, qos=0)
        with contextlib.suppress(TimeoutError):
            while True:
                enough = len(found) >= expect
                wait = quiet if enough else max(deadline - asyncio.get_running_loop().time(), 0)
                async with asyncio.timeout(wait):
                    message = await anext(aiter(client.messages))
                if message.retain and isinstance(message.payload, bytes) and message.payload:
                    found[message.topic.value] = orjson.loads(message.payload)
    return found


async def clear_retained(url: str, prefix: str) -> None:
    """Remove every retained message under `prefix` (an empty retained message clears one)."""
    host, port = url.removeprefix("mqtt://").split(":")
    tool = shutil.which("mosquitto_sub")
    if tool is not None:  # much faster than a Python client for thousands of messages
        args = [tool, "-h", host, "-p", port, "-t", f"{prefix}/#", "--remove-retained"]
        process = await asyncio.create_subprocess_exec(
            *args, "--retained-only", "-W", "1",
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        await process.wait()
        return
    topics = await retained(url, f"{prefix}/#", quiet=0.5)
    async with aiomqtt.Client(host, int(port)) as client:
        for topic in topics:
            await client.publish(topic, b"", qos=1, retain=True)


class Mosquitto:
    """A private broker on a free loopback port, to stop and start mid-test."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("mosquitto") or (
            "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
        )
        if binary is None:
            need("mosquitto is not installed")
        assert binary is not None
        self.binary = binary
        self.workdir = workdir
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        config = self.workdir / "mosquitto.conf"
        config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n")
        log = (self.workdir / "mosquitto.log").open("ab")
        self.process = subprocess.Popen(
            [self.binary, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + 10
        while not reachable("127.0.0.1", self.port):
            assert self.process.poll() is None, "mosquitto exited; see mosquitto.log"
            assert time.monotonic() < deadline, "mosquitto did not start"
            time.sleep(0.02)

    def kill(self) -> None:
        """Stop it hard, as a crash would: it keeps nothing (no persistence)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None
