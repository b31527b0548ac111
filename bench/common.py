"""What the dissemination benchmarks share: a `tocsin serve` subprocess, SSE parsing, SSE client
processes, percentiles.

The clients are raw asyncio protocols (HTTP/1.1, chunked body, SSE frames), so one process holds
thousands of them. Arrival times are `time.monotonic_ns()`: on Linux one clock (CLOCK_MONOTONIC)
for every process, so a raiser in one process and clients in another can be subtracted.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, cast

import httpx

HOST = "127.0.0.1"
MS = 1_000_000  # ns per ms


def tocsin_command() -> list[str]:
    """The installed `tocsin` script of this interpreter (no shim in between), or the module."""
    script = Path(sys.executable).parent / "tocsin"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from tocsin.cli import main; main()"]


def raise_fd_limit() -> int:
    """Raise the open-files limit to the hard limit (child processes inherit it)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 1_048_576
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def machine() -> str:
    return (
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, load average {load()}"
    )


def load() -> str:
    """The 1-minute load average: above the CPU count, other processes share the CPUs."""
    return f"{os.getloadavg()[0]:.1f}"


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run `main` on uvloop when it is installed (uvicorn picks it too), else on asyncio."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """`tocsin serve` on a loopback port with its own SQLite file; killed on exit."""

    def __init__(
        self, workdir: Path, port: int | None = None, settings: dict[str, str] | None = None
    ) -> None:
        """`settings`: more `TOCSIN_*` variables for the server."""
        self.workdir = workdir
        self.settings = settings or {}
        self.database_url = f"sqlite:///{workdir / 'tocsin.db'}"
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def env(self) -> dict[str, str]:
        return {
            # every client of a benchmark is on 127.0.0.1: as many streams as it likes
            "TOCSIN_STREAM_MAX_PER_CLIENT": "1000000",
            "TOCSIN_STREAM_MAX_TOTAL": "1000000",
            **os.environ,
            **self.settings,
            "TOCSIN_DATABASE_URL": self.database_url,
        }

    def create_token(self) -> str:
        """An admin token, made with the CLI against the same database (created first, with its
        schema and region packs, if the server has not made it yet)."""
        if not (self.workdir / "tocsin.db").exists():
            subprocess.run(
                [*tocsin_command(), "db", "upgrade"],
                env=self.env(),
                capture_output=True,
                timeout=300,
                check=True,
            )
        done = subprocess.run(
            [*tocsin_command(), "token", "create", "--role", "admin", "--name", "bench"],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout.strip().splitlines()[-1]

    def start(self) -> None:
        with open(self.workdir / "serve.log", "ab") as log:
            self.process = subprocess.Popen(
                [*tocsin_command(), "serve", "--host", HOST, "--port", str(self.port)],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.05)
        raise TimeoutError(f"tocsin serve not ready on {self.url} after {timeout} s")

    async def ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as http:
            while time.monotonic() < deadline:
                self._check_alive()
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"{self.url}/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.05)
        raise TimeoutError(f"tocsin serve not ready on {self.url} after {timeout} s")

    def kill(self) -> None:
        """`kill -9` and reap."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 20) -> str:
        path = self.workdir / "serve.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def _check_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"tocsin serve exited:\n{self.log_tail()}")

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SSEStream:
    """An HTTP/1.1 SSE response parsed as it arrives: status, chunked body, complete frames."""

    __slots__ = ("_left", "_raw", "_text", "ended", "status")

    def __init__(self) -> None:
        self.status = 0
        self.ended = False
        self._raw = b""
        self._text = b""
        self._left = -1  # payload bytes left in this chunk; 0: its CRLF is next; -1: a size line

    def feed(self, data: bytes) -> list[bytes]:
        raw = self._raw + data
        pos = 0
        if not self.status:
            end = raw.find(b"\r\n\r\n")
            if end < 0:
                self._raw = raw
                return []
            self.status = int(raw[9:12])
            pos = end + 4
        parts = []
        while pos < len(raw):
            if self._left > 0:
                take = min(self._left, len(raw) - pos)
                parts.append(raw[pos : pos + take])
                pos += take
                self._left -= take
            elif self._left == 0:
                if len(raw) - pos < 2:
                    break
                pos += 2
                self._left = -1
            else:
                eol = raw.find(b"\r\n", pos)
                if eol < 0:
                    break
                self._left = int(raw[pos:eol].split(b";")[0], 16)
                pos = eol + 2
                if self._left == 0:
                    self.ended = True
                    pos = len(raw)
        self._raw = raw[pos:]
        frames = (self._text + b"".join(parts)).split(b"\n\n")
        self._text = frames.pop()
        return frames


@dataclass(frozen=True, slots=True)
class Frame:
    seq: int | None
    event: bytes
    data: bytes


def parse_frame(frame: bytes) -> Frame:
    """id, event and data of one SSE frame; a comment-only frame (keepalive) has event b''."""
    seq, event, data = None, b"message", b""
    if frame.startswith(b":"):
        return Frame(None, b"", b"")
    for line in frame.split(b"\n"):
        if line.startswith(b"id: "):
            seq = int(line[4:])
        elif line.startswith(b"event: "):
            event = line[7:]
        elif line.startswith(b"data: "):
            data = line[6:]
    return Frame(seq, event, data)


def sse_request(path: str, last_event_id: int | None = None) -> bytes:
    resume = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id is not None else ""
    return (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept: text/event-stream\r\n{resume}\r\n"
    ).encode()


def chunk(payload: bytes) -> bytes:
    """One HTTP/1.1 chunk, as uvicorn writes it."""
    return b"%x\r\n%s\r\n" % (len(payload), payload)


# --- SSE clients, many per process ---------------------------------------------------------


@dataclass
class Arrivals:
    """What the clients of one or more processes saw."""

    opened: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    times: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    frames: dict[int, bytes] = field(default_factory=dict)  # raw frames of client 0, by seq
    disorder: int = 0  # frames whose seq was not above the client's previous one
    dropped: int = 0  # `dropped` events (too slow)
    closed: int = 0  # connections the server closed after `open`

    def merge(self, other: Arrivals) -> None:
        self.opened += other.opened
        self.errors.update(other.errors)
        for seq, times in other.times.items():
            self.times[seq].extend(times)
        for seq, frame in other.frames.items():
            self.frames.setdefault(seq, frame)
        self.disorder += other.disorder
        self.dropped += other.dropped
        self.closed += other.closed


class Watch:
    """Set `done` once every open client has every awaited seq."""

    def __init__(self, seen: Arrivals) -> None:
        self.seen = seen
        self.seqs: set[int] = set()
        self.target = 0
        self.done = asyncio.Event()

    def expect(self, seqs: Iterable[int], target: int) -> None:
        self.seqs = set(seqs)
        self.target = target
        self.done.clear()
        self.check()

    def arrived(self, seq: int) -> None:
        if seq in self.seqs and len(self.seen.times[seq]) >= self.target:
            self.check()

    def check(self) -> None:
        if all(len(self.seen.times.get(s, ())) >= self.target for s in self.seqs):
            self.done.set()


class SSEClient(asyncio.Protocol):
    """One SSE client; a `slow` one stops reading its socket once it has `open`."""

    def __init__(self, watch: Watch, request: bytes, capture: bool, slow: bool = False) -> None:
        self.watch = watch
        self.slow = slow
        self.seen = watch.seen
        self.request = request
        self.capture = capture
        self.stream = SSEStream()
        self.last = -1
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        for raw in self.stream.feed(data):
            if raw.startswith(b"id: "):  # an event (the id comes first): just its seq
                self._arrived(int(raw[4 : raw.index(b"\n")]), now, raw)
                continue
            frame = parse_frame(raw)
            if frame.seq is not None:
                self._arrived(frame.seq, now, raw)
            elif frame.event == b"ready" and not self.opened.done():
                self.opened.set_result(None)
                if self.slow and self.transport is not None:
                    self.transport.pause_reading()
                    return
            elif frame.event == b"dropped":
                self.seen.dropped += 1
        if self.stream.status not in (0, 200) and not self.opened.done():
            self.opened.set_exception(ConnectionError(f"HTTP {self.stream.status}"))

    def _arrived(self, seq: int, now: int, raw: bytes) -> None:
        if seq <= self.last:
            self.seen.disorder += 1
        else:
            self.last = seq
        times = self.seen.times[seq]
        times.append(now)
        if len(times) >= self.watch.target:
            self.watch.arrived(seq)
        if self.capture:
            self.seen.frames[seq] = raw + b"\n\n"

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed before open"))
        else:
            self.seen.closed += 1


async def _open_clients(
    watch: Watch,
    ports: Sequence[int],
    path: str,
    count: int,
    concurrency: int,
    timeout: float,
    slow: int,
) -> list[SSEClient]:
    """`count` clients, the last `slow` of them slow; client i connects to `ports[i % n]`."""
    seen = watch.seen
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(concurrency)
    request = sse_request(path)
    clients: list[SSEClient] = []

    async def one(index: int) -> None:
        async with gate:
            client = SSEClient(watch, request, capture=index == 0, slow=index >= count - slow)
            port = ports[index % len(ports)]
            try:
                async with asyncio.timeout(timeout):
                    if client.slow:
                        await loop.create_connection(lambda: client, sock=await _small(port))
                    else:
                        await loop.create_connection(lambda: client, HOST, port)
                    await client.opened
            except (OSError, TimeoutError) as exc:  # ConnectionError is an OSError
                seen.errors[_error_name(exc)] += 1
                if client.transport is not None:
                    client.transport.abort()
                return
            clients.append(client)
            seen.opened += 1

    await asyncio.gather(*(one(i) for i in range(count)))
    return clients


async def _small(port: int) -> socket.socket:
    """A socket connected with a small receive buffer (4 KiB, before the kernel doubles it):
    once a slow client stops reading, the server's buffers for it fill after a few frames."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, (HOST, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _error_name(exc: Exception) -> str:
    errno = getattr(exc, "errno", None)
    return f"{type(exc).__name__} {errno}" if errno else type(exc).__name__


async def _serve_commands(conn: Connection, watch: Watch, clients: list[SSEClient]) -> None:
    """Answer the orchestrator: ('await', seqs, timeout) → counts; ('finish',) → Arrivals."""
    seen = watch.seen
    while True:
        command = await asyncio.to_thread(conn.recv)
        if command[0] == "await":
            _, seqs, timeout = command
            watch.expect(seqs, sum(not c.slow for c in clients))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(watch.done.wait(), timeout)
            conn.send({s: len(seen.times.get(s, ())) for s in seqs})
        elif command[0] == "finish":
            for client in clients:
                if client.transport is not None:
                    client.transport.abort()
            conn.send(seen)
            return


def client_process(
    conn: Connection,
    ports: Sequence[int],
    path: str,
    count: int,
    concurrency: int,
    timeout: float,
    slow: int = 0,
) -> None:
    """Entry point of one client process: open `count` SSE clients, spread over `ports` in
    turn (the last `slow` of them stop reading once open), then obey commands."""
    raise_fd_limit()

    async def main() -> None:
        watch = Watch(Arrivals())
        started = time.monotonic()
        clients = await _open_clients(watch, ports, path, count, concurrency, timeout, slow)
        seen = watch.seen
        conn.send(("ready", seen.opened, dict(seen.errors), time.monotonic() - started))
        await _serve_commands(conn, watch, clients)

    run_loop(main())


class ClientPool:
    """SSE clients spread over `processes` processes; all connect at once. `slow` of them,
    spread likewise, stop reading once they have `open`; awaits count only the others. Given
    several ports (servers), each process connects its clients to them in turn."""

    def __init__(
        self,
        port: int | Sequence[int],
        count: int,
        *,
        processes: int = 1,
        path: str = "/v1/stream",
        concurrency: int = 200,
        timeout: float = 60.0,
        slow: int = 0,
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.processes: list[Any] = []
        ports = [port] if isinstance(port, int) else list(port)
        shares = _split(count, processes)
        slow_shares = [slow // len(shares) + (i < slow % len(shares)) for i in range(len(shares))]
        for share, slow_share in zip(shares, slow_shares, strict=True):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=client_process,
                args=(theirs, ports, path, share, concurrency, timeout, slow_share),
                daemon=True,
            )
            process.start()
            self.conns.append(mine)
            self.processes.append(process)
        self.opened = 0
        self.errors: Counter[str] = Counter()
        self.connect_seconds = 0.0

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def wait_ready(self, timeout: float) -> int:
        for conn in self.conns:
            _, opened, errors, seconds = self._recv(conn, timeout)
            self.opened += opened
            self.errors.update(errors)
            self.connect_seconds = max(self.connect_seconds, seconds)
        return self.opened

    def await_seqs(self, seqs: Sequence[int], timeout: float) -> dict[int, int]:
        """Wait until every client got every seq (or the timeout); how many got each."""
        for conn in self.conns:
            conn.send(("await", list(seqs), timeout))
        counts: Counter[int] = Counter()
        for conn in self.conns:
            counts.update(self._recv(conn, timeout + 30))
        return dict(counts)

    def finish(self, timeout: float = 60.0) -> Arrivals:
        total = Arrivals()
        for conn in self.conns:
            conn.send(("finish",))
        for conn in self.conns:
            total.merge(self._recv(conn, timeout))
        self.close()
        return total

    def close(self) -> None:
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()

    def _recv(self, conn: Connection, timeout: float) -> Any:
        if not wait([conn], timeout):
            raise TimeoutError(f"client process silent for {timeout} s")
        return conn.recv()

    def __enter__(self) -> ClientPool:
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()
        self.close()


def _split(count: int, parts: int) -> list[int]:
    parts = max(1, min(parts, count))
    return [count // parts + (1 if i < count % parts else 0) for i in range(parts)]


# --- figures -------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted `values` (q in 0..100)."""
    if not values:
        return math.nan
    return values[max(0, math.ceil(q / 100 * len(values)) - 1)]


@dataclass(frozen=True)
class Summary:
    count: int
    p50: float
    p99: float
    max: float

    @classmethod
    def of(cls, values_ms: Iterable[float]) -> Summary:
        ordered = sorted(values_ms)
        if not ordered:
            return cls(0, math.nan, math.nan, math.nan)
        return cls(len(ordered), percentile(ordered, 50), percentile(ordered, 99), ordered[-1])


def latencies_ms(times: dict[int, list[int]], sent: dict[int, int]) -> list[float]:
    """Arrival minus send time, in ms, for every client and every seq in `sent`."""
    return [(t - t0) / MS for seq, t0 in sent.items() for t in times.get(seq, ())]


def print_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    cells = [list(map(str, header)), *([_cell(v) for v in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for n, row in enumerate(cells):
        print(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
