"""A loopback Web Push service for tests: it holds the subscriber's keys like a browser, checks
each push's VAPID signature (RFC 8292) and decrypts its aes128gcm payload (RFC 8291)."""

from __future__ import annotations

import base64
import time
from typing import Any

import http_ece
import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PushService:
    """A push service and the browser behind it: it holds the subscriber's keys."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = b"0123456789abcdef"
        self.received: list[tuple[float, dict[str, Any], dict[str, str]]] = []
        self.answer = 201
        self.vapid_key: str | None = None
        self.app = Starlette(routes=[Route("/push/{name}", self.push, methods=["POST"])])

    @property
    def keys(self) -> dict[str, str]:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": b64(point), "auth": b64(self.auth)}

    async def push(self, request: Request) -> Response:
        body = await request.body()
        self.check_vapid(request.headers["authorization"], str(request.base_url))
        assert request.headers["content-encoding"] == "aes128gcm"
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        self.received.append((time.monotonic(), orjson.loads(plain), dict(request.headers)))
        return Response(status_code=self.answer)

    def check_vapid(self, header: str, base_url: str) -> None:
        scheme, _, params = header.partition(" ")
        assert scheme == "vapid"
        fields = dict(part.split("=", 1) for part in params.split(","))
        assert fields["k"] == self.vapid_key
        head, claims, signature = fields["t"].split(".")
        raw = unb64(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(fields["k"]))
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        payload = orjson.loads(unb64(claims))
        assert payload["aud"] == base_url.rstrip("/")
        assert payload["sub"].startswith("mailto:")
        assert payload["exp"] > time.time()


async def with_push(tocsin: Any) -> Any:
    """`tocsin` with its push channel running, as `tocsin serve` runs it."""
    from tocsin.channels.push import PushChannel

    channel = PushChannel(tocsin)
    tocsin.channels.append(channel)
    await channel.start()
    return tocsin
