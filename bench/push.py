"""Web Push: raise → the push decrypted at a loopback push service, for many subscriptions.

Starts `tocsin serve` (the `subscriptions` channel delivers pushes) with private targets allowed,
subscribes `--subscriptions` browsers through `POST /v1/push/subscriptions` (each with its own
P-256 key pair and auth secret, as a browser makes them), all with endpoints at one push service
in this process, which checks nothing but decrypts every payload (RFC 8291) with the
subscriber's key. Then raises `--alerts` alerts one after another for the region they all chose
and times each push from the moment its raise was sent (the POST that commits it) to its
decryption: p50, p99 and max over all pushes. Every subscriber must get every alert exactly
once: otherwise the result is wrong and the exit status non-zero.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import http_ece
import httpx
import orjson
import uvicorn
from common import Server, free_port, load, machine, run_loop
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

REGION = "UA-63"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Browsers:
    """The push service and the subscribers' keys; records when each push is decrypted."""

    def __init__(self, count: int) -> None:
        self.keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(count)]
        self.auth = [bytes([i % 256]) * 16 for i in range(count)]
        self.arrived: dict[tuple[int, str, str], float] = {}
        self.duplicates = 0
        self.changed = asyncio.Event()
        self.app = Starlette(routes=[Route("/push/{n:int}", self.push, methods=["POST"])])

    def subscription(self, base: str, n: int) -> dict[str, object]:
        point = (
            self.keys[n]
            .public_key()
            .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        )
        keys = {"p256dh": b64(point), "auth": b64(self.auth[n])}
        return {"endpoint": f"{base}/push/{n}", "keys": keys, "regions": [REGION]}

    async def wait(self, alert_id: str, count: int, timeout: float) -> None:
        """Until `count` subscribers have the alert, or `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self.count(alert_id) < count and time.monotonic() < deadline:
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), deadline - time.monotonic())

    def count(self, alert_id: str) -> int:
        return sum(1 for (_, a, e) in self.arrived if a == alert_id and e == "alert.raised")

    async def push(self, request: Request) -> Response:
        n = request.path_params["n"]
        plain = http_ece.decrypt(
            await request.body(), private_key=self.keys[n], auth_secret=self.auth[n]
        )
        said = orjson.loads(plain)
        key = (n, said["alert_id"], said["event"])
        if key in self.arrived:
            self.duplicates += 1
        self.arrived.setdefault(key, time.monotonic())
        self.changed.set()
        return Response(status_code=201)


async def main(args: argparse.Namespace) -> int:
    browsers = Browsers(args.subscriptions)
    port = free_port()
    service = uvicorn.Server(
        uvicorn.Config(browsers.app, host="127.0.0.1", port=port, log_level="warning")
    )
    serving = asyncio.create_task(service.serve())
    settings = {"TOCSIN_WEBHOOK_ALLOW_PRIVATE": "true", "TOCSIN_PUSH_SUBSCRIBE_PER_MINUTE": "10000"}
    with tempfile.TemporaryDirectory() as tmp, Server(Path(tmp), settings=settings) as server:
        headers = {"Authorization": f"Bearer {server.create_token()}"}
        server.start()
        await server.ready()
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            for n in range(args.subscriptions):
                body = browsers.subscription(f"http://127.0.0.1:{port}", n)
                made = await http.post("/v1/push/subscriptions", json=body)
                made.raise_for_status()
            await asyncio.sleep(3)  # the channel reconciles within its interval
            sent: dict[str, float] = {}
            for _ in range(args.alerts):
                began = time.monotonic()
                raised = await http.post(
                    "/v1/alerts", headers=headers, json={"threat": "missile", "regions": [REGION]}
                )
                raised.raise_for_status()
                alert_id = raised.json()["id"]
                sent[alert_id] = began
                await browsers.wait(alert_id, args.subscriptions, args.timeout)
                ended = await http.post(f"/v1/alerts/{alert_id}/end", headers=headers)
                ended.raise_for_status()
                await asyncio.sleep(1)  # the all-clears arrive too; they are not timed
    service.should_exit = True
    await serving
    latencies = [
        (when - sent[alert]) * 1000
        for (_, alert, event), when in browsers.arrived.items()
        if event == "alert.raised"
    ]
    expected = args.subscriptions * args.alerts
    print(f"machine: {machine()}; load: {load()}")
    print(f"pushes: {len(latencies)} of {expected}; duplicates: {browsers.duplicates}")
    if latencies:
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(
            f"raise → decrypted push (ms): p50 {statistics.median(ordered):.0f}, "
            f"p99 {p99:.0f}, max {ordered[-1]:.0f}"
        )
    if len(latencies) != expected or browsers.duplicates:
        print("result: WRONG: pushes lost or duplicated")
        return 1
    print("result: every subscriber got every alert, once")
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=200)
    parser.add_argument("--alerts", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait per alert")
    return parser.parse_args(argv)


if __name__ == "__main__":
    outcome: list[int] = []

    async def run() -> None:
        outcome.append(await main(parse(sys.argv[1:])))

    run_loop(run())
    sys.exit(outcome[0])
