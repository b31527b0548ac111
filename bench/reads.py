"""Public reads answered from memory, against a minimal Starlette app serving the same bytes.

    python bench/reads.py [--alerts 5] [--duration 10] [--connections 32]

Starts `tocsin serve` (a fresh SQLite file, the real region packs), raises `--alerts` actual
alerts over oblasts (a body of about 5.7 kB for the defaults), and takes the answers of the
reads measured. Then starts, in a process of its own and under the same uvicorn options as
`tocsin serve` (`tocsin.api.server.options`, access log off, uvicorn's logging left to the
caller), a minimal Starlette app with one route per read that returns those very bytes with the
same content type and ETag, and a 304 to a client that has them.

Both are loaded in turn, each read on each server, by the same load generator (`wrk` when it is
on the PATH, else a Python keep-alive client, which the output says), and the server's CPU time
is read from /proc before and after: CPU µs per request holds even when other processes share
the machine and the requests per second do not.

Exits non-zero only when a result is wrong: an answer that differs from the minimal app's, or a
request answered with an error.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from common import HOST, Server, cpu_seconds, free_port, load, machine, print_table

OBLASTS = ["UA-63", "UA-59", "UA-18", "UA-74", "UA-12", "UA-23", "UA-14", "UA-65", "UA-48"]
THREATS = ["missile", "uav", "aviation"]
PATHS = {
    "active": "/v1/alerts/active",
    "iot": "/v1/iot/states",
    "compat": "/compat/alerts-in-ua/v1/alerts/active.json",  # the alerts.in.ua API (docs/compat.md)
}


@dataclass(frozen=True)
class Read:
    name: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    errors: int
    cpu: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_us(self) -> float:
        return self.cpu / max(self.requests, 1) * 1e6


def main() -> None:
    args = _arguments()
    if args.baseline is not None:
        serve_baseline(args.baseline)
        return
    generator = "wrk" if shutil.which("wrk") else "python (wrk not found on the PATH)"
    print(f"machine: {machine()}")
    print(f"load generator: {generator}; {args.connections} connections, {args.duration} s each")
    with tempfile.TemporaryDirectory(prefix="tocsin-reads-") as tmp:
        workdir = Path(tmp)
        # no limit on /compat requests: every client of the benchmark is one address
        with Server(workdir, settings={"TOCSIN_COMPAT_PER_MINUTE": "0"}) as server:
            token = server.create_token()
            server.start()
            server.wait_ready()
            seed(server.url, token, args.alerts)
            reads, answers = take_answers(server.url)
            spec = workdir / "baseline.txt"
            write_spec(spec, answers)
            port = free_port()
            baseline = subprocess.Popen(
                [sys.executable, __file__, "--baseline", f"{port}:{spec}"],
                cwd=Path(__file__).parent,
            )
            try:
                base_url = f"http://{HOST}:{port}"
                wait_up(base_url)
                wrong = compare(server.url, base_url, reads)
                rows, ratios = [], {}
                for read in reads:
                    tocsin = measure(server.url, server.pid, read, args, generator)
                    base = measure(base_url, baseline.pid, read, args, generator)
                    ratios[read.name] = tocsin.rate / base.rate
                    errors = tocsin.errors + base.errors
                    wrong += [f"{read.name}: {errors} error answers"] if errors else []
                    rows.append(_row(read, "tocsin", tocsin, ratios[read.name]))
                    rows.append(_row(read, "starlette", base, 1.0))
            finally:
                baseline.terminate()
                baseline.wait(timeout=15)
    print(f"active alerts body: {len(answers['active'][0])} bytes, {args.alerts} alerts")
    print_table(("read", "server", "req/s", "ratio", "CPU µs/req", "requests", "errors"), rows)
    for name, target in (("active", 0.5), ("iot", 0.8), ("active 304", 0.8), ("compat", 0.5)):
        verdict = "met" if ratios[name] >= target else "missed"
        print(f"target {name} ≥ {target}× starlette: {ratios[name]:.2f}× {verdict}")
    print(f"load average at the end: {load()}")
    if wrong:
        print("result: WRONG: " + "; ".join(wrong))
        sys.exit(1)
    print("result: every answer the same as the minimal app's, no errors")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Public reads against a minimal Starlette app.")
    parser.add_argument("--alerts", type=int, default=5, help="actual alerts raised")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per read")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--baseline", help=argparse.SUPPRESS)  # PORT:SPEC, the minimal app
    return parser.parse_args()


def seed(url: str, token: str, alerts: int) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=auth, timeout=30) as http:
        for n in range(alerts):
            body = {
                "threat": THREATS[n % len(THREATS)],
                "regions": [OBLASTS[n % len(OBLASTS)]],
                "headline": f"Alert {n + 1}",
            }
            http.post("/v1/alerts", json=body).raise_for_status()


def take_answers(url: str) -> tuple[list[Read], dict[str, tuple[bytes, str, str]]]:
    """The reads measured, and tocsin's answer to each: body, content type, ETag."""
    answers: dict[str, tuple[bytes, str, str]] = {}
    with httpx.Client(base_url=url, timeout=30) as http:
        for name, path in PATHS.items():
            got = http.get(path)
            got.raise_for_status()
            answers[name] = (got.content, got.headers["content-type"], got.headers["etag"])
    reads = [
        Read("active", "/v1/alerts/active", {}),
        Read("iot", "/v1/iot/states", {}),
        Read("active 304", "/v1/alerts/active", {"If-None-Match": answers["active"][2]}),
        Read("compat", PATHS["compat"], {}),
    ]
    return reads, answers


def write_spec(path: Path, answers: dict[str, tuple[bytes, str, str]]) -> None:
    for name, (body, media_type, etag) in answers.items():
        (path.parent / f"{name}.body").write_bytes(body)
        with path.open("a") as spec:
            spec.write(f"{name}\t{media_type}\t{etag}\n")


# --- the minimal app -----------------------------------------------------------------------


def serve_baseline(argument: str) -> None:
    """A minimal Starlette app answering each path with tocsin's bytes, under the uvicorn
    options of `tocsin serve`."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from tocsin.api.server import options
    from tocsin.config import Settings

    port, spec = argument.split(":", 1)
    routes = []
    for line in Path(spec).read_text().splitlines():
        name, media_type, etag = line.split("\t")
        body = (Path(spec).parent / f"{name}.body").read_bytes()

        async def endpoint(
            request: Request, body: bytes = body, media_type: str = media_type, etag: str = etag
        ) -> Response:
            headers = {"ETag": etag}
            if request.headers.get("if-none-match") == etag:
                return Response(status_code=304, headers=headers)
            return Response(body, media_type=media_type, headers=headers)

        routes.append(Route(PATHS[name], endpoint))
    uvicorn.run(
        Starlette(routes=routes),
        host=HOST,
        port=int(port),
        log_level="warning",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
        **options(Settings()),
    )


def wait_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/v1/iot/states", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise TimeoutError(f"the minimal app is not up on {url}")


def compare(tocsin: str, base: str, reads: list[Read]) -> list[str]:
    wrong = []
    for read in reads:
        one = httpx.get(tocsin + read.path, headers=read.headers)
        two = httpx.get(base + read.path, headers=read.headers)
        if (one.status_code, one.content) != (two.status_code, two.content):
            wrong.append(f"{read.name}: tocsin {one.status_code}, starlette {two.status_code}")
    return wrong


# --- load ----------------------------------------------------------------------------------


def measure(url: str, pid: int, read: Read, args: argparse.Namespace, generator: str) -> Load:
    before = cpu_seconds(pid)
    if generator == "wrk":
        requests, seconds, errors = _wrk(url + read.path, read.headers, args)
    else:
        requests, seconds, errors = asyncio.run(_python_load(url, read, args))
    return Load(requests, seconds, errors, cpu_seconds(pid) - before)


def _wrk(url: str, headers: dict[str, str], args: argparse.Namespace) -> tuple[int, float, int]:
    command = ["wrk", "-t1", f"-c{args.connections}", f"-d{max(1, round(args.duration))}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if done is None:
        raise RuntimeError(f"wrk said:\n{out}")
    seconds = float(done.group(2)) / (1000 if done.group(3) == "ms" else 1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return int(done.group(1)), seconds, int(errors.group(1)) if errors else 0


async def _python_load(url: str, read: Read, args: argparse.Namespace) -> tuple[int, float, int]:
    """Keep-alive GETs over raw connections (a fallback: it needs more CPU than wrk)."""
    host, port = url.removeprefix("http://").split(":")
    extra = "".join(f"{k}: {v}\r\n" for k, v in read.headers.items())
    request = f"GET {read.path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()
    counts = [0, 0]
    deadline = time.monotonic() + args.duration

    async def one() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        while time.monotonic() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"content-length: (\d+)", head, re.IGNORECASE)
            await reader.readexactly(int(length.group(1)) if length else 0)
            counts[0] += 1
            counts[1] += head[9:10] not in (b"2", b"3")
        writer.close()

    started = time.monotonic()
    await asyncio.gather(*(one() for _ in range(args.connections)))
    return counts[0], time.monotonic() - started, counts[1]


def _row(read: Read, server: str, measured: Load, ratio: float) -> tuple[object, ...]:
    return (
        read.name,
        server,
        measured.rate,
        f"{ratio:.2f}×",
        measured.cpu_us,
        measured.requests,
        measured.errors,
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
