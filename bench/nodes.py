"""Writers in cluster mode for the benchmarks: `tocsin serve` nodes on one PostgreSQL database
and NATS JetStream, under a cluster name of their own.

The database is made for the run and dropped after it; NATS is the server given (`--nats`) or a
`nats-server -js` of the run's own on a free loopback port, its store in the run's directory.
On a server given, the run's streams (the events, the state's key-value bucket) are deleted at
the end, so that it is left as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from common import HOST, Server, free_port

POSTGRES = os.environ.get(
    "TOCSIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def nats_server_binary() -> str | None:
    return shutil.which("nats-server") or next(
        (p for p in ("/usr/sbin/nats-server", "/usr/bin/nats-server") if Path(p).exists()), None
    )


class NatsServer:
    """`nats-server -js` on free loopback ports, its store under `workdir`; stopped on exit."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.monitor = free_port()
        self.url = f"nats://{HOST}:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, binary: str, timeout: float = 30.0) -> NatsServer:
        command = [binary, "-a", HOST, "-p", str(self.port), "-m", str(self.monitor), "-js"]
        command += ["-sd", str(self.workdir / "nats")]
        with open(self.workdir / "nats.log", "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited: see {self.workdir / 'nats.log'}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://{HOST}:{self.monitor}/healthz", timeout=2).is_success:
                    return self
            time.sleep(0.05)
        raise TimeoutError(f"nats-server not ready after {timeout} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Cluster:
    """`count` writer nodes (`node-1` …) of one deployment; everything removed on exit."""

    def __init__(self, workdir: Path, count: int, postgres: str, nats: str = "") -> None:
        self.workdir = workdir
        self.count = count
        self.postgres = postgres
        self.name = f"tocsin_burst_{uuid.uuid4().hex[:8]}"
        self.cluster = self.name.replace("_", "-")
        self.nats_url = nats
        self.own_nats: NatsServer | None = None
        self.nodes: list[Server] = []
        self._made = False

    @property
    def database_url(self) -> str:
        base = self.postgres.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        return f"{base}/{self.name}"

    def __enter__(self) -> Cluster:
        try:
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start(self) -> None:
        asyncio.run(self._admin(f'CREATE DATABASE "{self.name}"'))
        self._made = True
        if not self.nats_url:
            binary = nats_server_binary()
            if binary is None:
                raise SystemExit("nats-server not found: install it, or give --nats URL")
            self.own_nats = NatsServer(self.workdir).start(binary)
            self.nats_url = self.own_nats.url
        settings = {"TOCSIN_NATS_URL": self.nats_url, "TOCSIN_CLUSTER": self.cluster}
        for index in range(1, self.count + 1):
            workdir = self.workdir / f"node-{index}"
            workdir.mkdir()
            node = Server(workdir, settings={**settings, "TOCSIN_NODE_NAME": f"node-{index}"})
            node.database_url = self.database_url
            self.nodes.append(node)

    def start(self) -> None:
        """Start every node and wait until each answers."""
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            node.wait_ready()

    def __exit__(self, *exc: object) -> None:
        for node in self.nodes:
            node.stop()
        if self.own_nats is not None:
            self.own_nats.stop()
        elif self.nats_url:
            asyncio.run(self._drop_streams())
        if self._made:
            asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    async def _admin(self, sql: str) -> None:
        connection = await asyncpg.connect(self.postgres)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    async def _drop_streams(self) -> None:
        await drop_streams(self.nats_url, self.cluster)


async def drop_streams(url: str, cluster: str) -> None:
    """Leave a NATS server given as it was: the run's event stream and snapshot bucket go."""
    import nats

    with contextlib.suppress(Exception):
        connection = await nats.connect(url)
        try:
            js = connection.jetstream()
            for stream in (
                f"{cluster}_events",
                f"KV_{cluster}_state",
                f"KV_{cluster}_drill_streams",
            ):
                with contextlib.suppress(Exception):
                    await js.delete_stream(stream)
        finally:
            await connection.close()
