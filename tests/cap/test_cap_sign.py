"""XML-DSig on published CAP: signed messages verify and stay XSD-valid, tampering is caught,
and when signing is configured but fails nothing is published (on SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cap_support import CapSettings, KeyFiles, cap_client, make_keys, xsd_errors
from pydantic import SecretStr

from tocsin.bootstrap import Tocsin
from tocsin.cap.errors import CapSignatureInvalid, CapSigningFailed
from tocsin.cap.render import CapConfig
from tocsin.cap.sign import Signer, verify
from tocsin.service.cap_publish import CapPublisher

DSIG = "{http://www.w3.org/2000/09/xmldsig#}"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyFiles:
    return make_keys(tmp_path_factory.mktemp("keys"))


def configure(tocsin: Tocsin, key: Path | str, cert: Path | str, password: str = "") -> None:
    tocsin.settings = CapSettings(
        database_url=tocsin.settings.database,
        cap_sign_key=str(key),
        cap_sign_cert=str(cert),
        cap_sign_key_password=SecretStr(password) if password else None,
    )
    # the publisher is built once from the settings: build it again from the new ones
    config = CapConfig.from_settings(tocsin.settings)
    tocsin.cap = CapPublisher(
        tocsin.cap.reads, tocsin.regions, tocsin.catalogue, tocsin.clock, config
    )


@pytest.fixture
async def http(tocsin: Tocsin) -> AsyncIterator[httpx.AsyncClient]:
    async with cap_client(tocsin) as client:
        yield client


async def raise_one(http: httpx.AsyncClient, tocsin: Tocsin) -> str:
    new = await tocsin.tokens.create("admin", (), name="signer-test")
    response = await http.post(
        "/v1/alerts",
        json={"threat": "uav", "regions": ["UA-63"]},
        headers={"Authorization": f"Bearer {new.secret}"},
    )
    assert response.status_code == 201
    alert_id: str = response.json()["id"]
    return alert_id


async def test_signed_messages_verify_and_stay_valid(
    http: httpx.AsyncClient, tocsin: Tocsin, keys: KeyFiles
) -> None:
    configure(tocsin, keys.key, keys.cert)
    alert_id = await raise_one(http, tocsin)
    response = await http.get(f"/cap/alerts/{alert_id}.xml")
    assert response.status_code == 200
    data = response.content
    assert f"{DSIG}Signature".split("}")[1].encode() in data
    assert xsd_errors(data) == []
    checked = verify(data, keys.cert_pem)
    assert checked.trusted and checked.subject == "CN=tocsin test"
    assert not verify(data).trusted  # intact, by the certificate it carries
    same = await http.get(f"/cap/messages/tocsin.{alert_id}.1.xml")
    assert verify(same.content, keys.cert_pem).signed


async def test_tampered_messages_fail(
    http: httpx.AsyncClient, tocsin: Tocsin, keys: KeyFiles, tmp_path: Path
) -> None:
    configure(tocsin, keys.key, keys.cert)
    data = (await http.get(f"/cap/alerts/{await raise_one(http, tocsin)}.xml")).content
    tampered = data.replace(b"<status>Actual</status>", b"<status>Exercise</status>")
    assert tampered != data
    with pytest.raises(CapSignatureInvalid) as err:
        verify(tampered, keys.cert_pem)
    assert err.value.field == "Signature"
    stranger = make_keys(tmp_path / "other", "someone else")
    with pytest.raises(CapSignatureInvalid):
        verify(data, stranger.cert_pem)  # not signed by the certificate we trust


async def test_unsigned_messages_do_not_verify(http: httpx.AsyncClient, tocsin: Tocsin) -> None:
    data = (await http.get(f"/cap/alerts/{await raise_one(http, tocsin)}.xml")).content
    with pytest.raises(CapSignatureInvalid) as err:
        verify(data)
    assert "no ds:Signature" in err.value.message


@pytest.mark.parametrize(
    "fault", ["missing key", "missing cert", "mismatch", "only key", "not a key", "wrong password"]
)
async def test_signing_configured_but_failing_publishes_nothing(
    http: httpx.AsyncClient,
    tocsin: Tocsin,
    keys: KeyFiles,
    tmp_path: Path,
    fault: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alert_id = await raise_one(http, tocsin)
    other = make_keys(tmp_path / "other", password=b"right")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    key, cert, password = {
        "missing key": (tmp_path / "nope.pem", keys.cert, ""),
        "missing cert": (keys.key, tmp_path / "nope.pem", ""),
        "mismatch": (other.key, keys.cert, "right"),
        "only key": (keys.key, "", ""),
        "not a key": (junk, keys.cert, ""),
        "wrong password": (other.key, other.cert, "wrong"),
    }[fault]
    configure(tocsin, key, cert, password)
    with caplog.at_level(logging.ERROR, logger="tocsin.cap"):
        for url in (
            f"/cap/alerts/{alert_id}.xml",
            f"/cap/messages/tocsin.{alert_id}.1.xml",
            "/cap/feed.atom",
        ):
            response = await http.get(url)
            assert response.status_code == 503, url
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "cap_signing_failed"
            assert b"<alert" not in response.content
    assert "CAP signing failed" in caplog.text


def test_encrypted_keys_and_elliptic_curves(tmp_path: Path) -> None:
    from lxml import etree

    root = etree.fromstring(
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier></alert>'
    )
    locked = make_keys(tmp_path / "locked", password=b"s3cret")
    data = Signer(str(locked.key), str(locked.cert), "s3cret").sign(root)
    assert verify(data, locked.cert_pem).trusted
    curve = make_keys(tmp_path / "curve", curve=True)
    data = Signer(str(curve.key), str(curve.cert)).sign(root)
    assert verify(data, curve.cert_pem).trusted
    with pytest.raises(CapSigningFailed) as err:
        Signer(str(locked.key), str(locked.cert)).sign(root)  # no password
    assert err.value.status == 503


def test_keys_are_read_again_when_the_files_change(tmp_path: Path) -> None:
    first = make_keys(tmp_path / "k", "first")
    signer = Signer(str(first.key), str(first.cert))
    assert signer.load().cert_pem == first.cert_pem
    second = make_keys(tmp_path / "k", "second")  # rotated in place
    assert signer.load().cert_pem == second.cert_pem
