"""What the CAP tests share: the app with the CAP router, the XSD, and foreign CAP messages.

Not a conftest: imported by the `test_cap_*` modules by name (pytest puts this directory on the
path), so that it cannot clash with other channels' fixtures.
"""

from __future__ import annotations

import csv
import os
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from pydantic import SecretStr

from tocsin.api import cap
from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin
from tocsin.config import Settings

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("TOCSIN_SHARED_DATA", REPO.parent / "shared" / "data"))
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"
NS = {"cap": CAP12}
XSD = Path(__file__).resolve().parents[2] / "src/tocsin/cap/schema/CAP-v1.2.xsd"
KHARKIV_CITY = "49.9,36.1 50.1,36.1 50.1,36.4 49.9,36.4 49.9,36.1"
CAP_TYPE = {"Content-Type": "application/cap+xml"}


class CapSettings(Settings):
    """The settings with the CAP fields this channel reads (until config.py has them)."""

    cap_sender: str = ""
    cap_sender_name: str = ""
    cap_languages: tuple[str, ...] = ()
    cap_sign_key: str = ""
    cap_sign_cert: str = ""
    cap_sign_key_password: SecretStr | None = None
    cap_feed_retention: float = 3600.0
    cap_lifetime: float = 86400.0


def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def xsd_errors(data: bytes) -> list[str]:
    xsd = schema()
    if xsd.validate(etree.fromstring(data).getroottree()):
        return []
    return [f"line {e.line}: {e.message}" for e in xsd.error_log]


def shared(*parts: str) -> Path:
    """A path under ../shared/data: skip without it, fail when services are required."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        reason = f"{path} not found (set TOCSIN_SHARED_DATA)"
        if os.environ.get("TOCSIN_REQUIRE_SERVICES") == "1":
            pytest.fail(f"required but unavailable: {reason}")
        pytest.skip(reason)
    return path


def cap_index() -> list[dict[str, str]]:
    """Rows of shared/data/cap/cap_index.csv (empty when the data is not there)."""
    path = SHARED_DATA / "cap" / "cap_index.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@asynccontextmanager
async def cap_client(tocsin: Tocsin) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(tocsin.settings)
    app.include_router(cap.router)
    app.state.tocsin = tocsin
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tocsin.test") as http:
        yield http


def cap_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def area(
    desc: str = "Kharkiv",
    *,
    geocodes: Iterable[tuple[str, str]] = (),
    polygons: Iterable[str] = (),
    circles: Iterable[str] = (),
) -> str:
    parts = [f"<areaDesc>{escape(desc)}</areaDesc>"]
    parts += [f"<polygon>{p}</polygon>" for p in polygons]
    parts += [f"<circle>{c}</circle>" for c in circles]
    parts += [
        f"<geocode><valueName>{escape(n)}</valueName><value>{escape(v)}</value></geocode>"
        for n, v in geocodes
    ]
    return "<area>" + "".join(parts) + "</area>"


UA63 = area("Kharkivska oblast", geocodes=[("ISO3166-2", "UA-63")])


def info(
    *,
    event: str = "Missile threat",
    category: str = "Security",
    event_code: tuple[str, str] | None = None,
    urgency: str = "Immediate",
    response: str | None = "Shelter",
    expires: datetime | None = START + timedelta(hours=2),
    language: str = "en-US",
    headline: str = "Missile threat in Kharkiv oblast",
    description: str = "Missiles launched towards Kharkiv.",
    areas: Sequence[str] = (UA63,),
) -> str:
    parts = [
        f"<language>{language}</language>",
        f"<category>{category}</category>",
        f"<event>{escape(event)}</event>",
    ]
    if response:
        parts.append(f"<responseType>{response}</responseType>")
    parts += [
        f"<urgency>{urgency}</urgency>",
        "<severity>Extreme</severity>",
        "<certainty>Likely</certainty>",
    ]
    if event_code:
        parts.append(
            f"<eventCode><valueName>{event_code[0]}</valueName>"
            f"<value>{event_code[1]}</value></eventCode>"
        )
    if expires is not None:
        parts.append(f"<expires>{cap_time(expires)}</expires>")
    parts += [
        f"<headline>{escape(headline)}</headline>",
        f"<description>{escape(description)}</description>",
    ]
    parts += list(areas)
    return "<info>" + "".join(parts) + "</info>"


def message(
    identifier: str = "UA-KH-0001",
    *,
    sender: str = "cap@kharkiv.example.ua",
    sent: datetime = START,
    status: str = "Actual",
    msg_type: str = "Alert",
    scope: str = "Public",
    references: Sequence[tuple[str, str, datetime]] = (),
    note: str | None = None,
    infos: Sequence[str] | None = None,
    namespace: str = CAP12,
    extra: str = "",
) -> bytes:
    """A CAP message as a neighbouring authority might send it."""
    parts = [
        f"<identifier>{escape(identifier)}</identifier>",
        f"<sender>{escape(sender)}</sender>",
        f"<sent>{cap_time(sent)}</sent>",
        f"<status>{status}</status>",
        f"<msgType>{msg_type}</msgType>",
        f"<scope>{scope}</scope>",
    ]
    if scope == "Restricted":
        parts.append("<restriction>civil defence only</restriction>")
    if note:
        parts.append(f"<note>{escape(note)}</note>")
    if references:
        refs = " ".join(f"{s},{i},{cap_time(t)}" for s, i, t in references)
        parts.append(f"<references>{refs}</references>")
    parts += list(infos if infos is not None else [info()])
    body = "".join(parts) + extra
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="{namespace}">{body}</alert>'
    ).encode()


def ref_of(data: bytes) -> tuple[str, str, datetime]:
    """The (sender, identifier, sent) that a later message's references would name."""
    root = etree.fromstring(data)
    ns = etree.QName(root).namespace
    sent = datetime.fromisoformat(root.findtext(f"{{{ns}}}sent"))
    return root.findtext(f"{{{ns}}}sender"), root.findtext(f"{{{ns}}}identifier"), sent


def find_all(data: bytes, path: str) -> list[Any]:
    return etree.fromstring(data).findall(path, NS)


@dataclass(frozen=True)
class KeyFiles:
    key: Path
    cert: Path

    @property
    def cert_pem(self) -> str:
        return self.cert.read_text()


def make_keys(
    folder: Path, name: str = "tocsin test", *, password: bytes | None = None, curve: bool = False
) -> KeyFiles:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
        ec.generate_private_key(ec.SECP256R1())
        if curve
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    files = KeyFiles(folder / "key.pem", folder / "cert.pem")
    files.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return files
