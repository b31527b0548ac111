"""Nodes for tests of several processes: `tocsin serve` subprocesses sharing one database,
and edge nodes (`tocsin serve --edge`) with none.

Each node runs the installed `tocsin` on a free loopback port with its own log file; a test
kills one with SIGKILL (`kill`) or stops it cleanly (`stop`), and starts it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def tocsin_command() -> list[str]:
    script = Path(sys.executable).parent / "tocsin"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from tocsin.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def admin_token(database_url: str, name: str = "nodes") -> str:
    """An admin token, made with the CLI against the database."""
    command = ["--database-url", database_url, "token", "create", "--name", name, "--role", "admin"]
    done = subprocess.run(
        [*tocsin_command(), *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


class Child:
    """A process a test starts, logging to `log`, and kills (SIGKILL) or stops."""

    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no lease given up."""
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class Node(Child):
    """`tocsin serve` on a loopback port; `settings` are more `TOCSIN_*` variables."""

    def __init__(self, name: str, workdir: Path, database_url: str | None, **settings: str) -> None:
        self.name = name
        self.log = workdir / f"{name}.log"
        self.env = {key: value for key, value in os.environ.items() if key != "TOCSIN_DATABASE_URL"}
        if database_url is not None:
            self.env["TOCSIN_DATABASE_URL"] = database_url
        self.env["TOCSIN_NODE_NAME"] = name
        self.env.update({f"TOCSIN_{key.upper()}": value for key, value in settings.items()})
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def arguments(self) -> list[str]:
        return ["serve", "--host", "127.0.0.1", "--port", str(self.port)]

    def start(self) -> Node:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [*tocsin_command(), *self.arguments()],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    async def ready(self, timeout: float = 90.0) -> Node:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as http:
            while time.monotonic() < deadline:
                if not self.alive:
                    raise RuntimeError(f"{self.name} exited:\n{self.tail()}")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"{self.url}/healthz")).status_code == 200:
                        return self
                await asyncio.sleep(0.05)
        raise TimeoutError(f"{self.name} not ready after {timeout} s:\n{self.tail()}")


class EdgeNode(Node):
    """`tocsin serve --edge`: no database; `settings` name the cluster (`nats_url`, `cluster`,
    `writer_url`). It listens, and is ready, once it has started from the cluster's snapshot."""

    def __init__(self, name: str, workdir: Path, **settings: str) -> None:
        super().__init__(name, workdir, None, **settings)

    def arguments(self) -> list[str]:
        return [*super().arguments(), "--edge"]
