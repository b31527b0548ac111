"""Real `nats-server` processes with JetStream for tests: one server, or a cluster of three.

Each server runs on free loopback ports with its store in a temporary directory; a cluster's
servers are routed to each other and are ready once JetStream has a meta leader. Tests share
servers and keep apart by giving each its own `cluster` name (`unique_cluster`).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx

from node_support import Child, free_port
from tocsin.bootstrap import Tocsin, build
from tocsin.config import Settings

NATS_SERVER = "nats-server"


def nats_server_binary() -> str | None:
    return shutil.which(NATS_SERVER) or next(
        (p for p in ("/usr/sbin/nats-server", "/usr/bin/nats-server") if Path(p).exists()), None
    )


def unique_cluster(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


class NatsServer(Child):
    def __init__(self, binary: str, name: str, workdir: Path, cluster: str | None = None) -> None:
        self.binary = binary
        self.name = name
        self.store = workdir / name
        self.log = workdir / f"{name}.log"
        self.port = free_port()
        self.monitor = free_port()
        self.route_port = free_port() if cluster else None
        self.cluster = cluster
        self.routes: list[str] = []
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def route(self) -> str:
        return f"nats://127.0.0.1:{self.route_port}"

    def command(self) -> list[str]:
        command = [self.binary, "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor)]
        command += ["-n", self.name, "-js", "-sd", str(self.store)]
        if self.cluster:
            command += ["--cluster_name", self.cluster, "--cluster", self.route]
            command += ["--routes", ",".join(self.routes)]
        return command

    def start(self) -> NatsServer:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        return self

    def jsz(self) -> dict[str, object]:
        answer = httpx.get(f"http://127.0.0.1:{self.monitor}/jsz", timeout=2)
        answer.raise_for_status()
        data: dict[str, object] = answer.json()
        return data


class Nats:
    """One server or a routed cluster of them; `url` names them all for a client."""

    def __init__(self, binary: str, workdir: Path, size: int = 1) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        name = f"c{uuid.uuid4().hex[:8]}" if size > 1 else None
        self.servers = [NatsServer(binary, f"n{i}", workdir, name) for i in range(size)]
        for server in self.servers:
            server.routes = [other.route for other in self.servers if other is not server]

    @property
    def url(self) -> str:
        return ",".join(server.url for server in self.servers)

    def start(self, timeout: float = 60.0) -> Nats:
        for server in self.servers:
            server.start()
        self.ready(timeout)
        return self

    def ready(self, timeout: float = 60.0) -> None:
        """Wait until every live server answers and, in a cluster, JetStream has a leader."""
        deadline = time.monotonic() + timeout
        while True:
            problem = self._not_ready()
            if problem is None:
                return
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {s.name}\n{s.tail()}" for s in self.servers)
                raise TimeoutError(f"NATS not ready after {timeout} s: {problem}\n{logs}")
            time.sleep(0.1)

    def _not_ready(self) -> str | None:
        for server in self.servers:
            if not server.alive:
                continue
            try:
                jsz = server.jsz()
            except httpx.HTTPError as exc:
                return f"{server.name}: {exc}"
            if len(self.servers) > 1:
                meta = jsz.get("meta_cluster")
                if not isinstance(meta, dict) or not meta.get("leader"):
                    return f"{server.name}: no JetStream meta leader yet"
        return None

    def by_name(self, name: str) -> NatsServer:
        return next(server for server in self.servers if server.name == name)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


@contextlib.contextmanager
def running_nats(binary: str, workdir: Path, size: int = 1) -> Iterator[Nats]:
    nats = Nats(binary, workdir, size)
    try:
        yield nats.start()
    finally:
        nats.stop()


async def eventually(check: object, timeout: float = 60.0, every: float = 0.02) -> None:
    """Wait until `check()` (maybe async) is true; fail after a generous timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()  # type: ignore[operator]
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, f"not true after {timeout} s"
        await asyncio.sleep(every)


def cluster_settings(database: str, nats: Nats, cluster: str, **more: object) -> Settings:
    """A node of cluster `cluster` on `database` and `nats`, with short leases, no channels."""
    return Settings(
        database_url=database,
        nats_url=nats.url,
        cluster=cluster,
        channels=(),
        lease_seconds=0.6,
        **more,  # type: ignore[arg-type]
    )


@contextlib.asynccontextmanager
async def started_node(settings: Settings) -> AsyncIterator[Tocsin]:
    """A node built and started, closed at the end."""
    tocsin = await build(settings)
    try:
        await tocsin.start()
        yield tocsin
    finally:
        await tocsin.close()
