"""XML-DSig enveloped signatures on CAP messages (signxml), as CAP 1.2 §3.3.2.1 allows.

Signing is optional: configure a PEM private key (`cap_sign_key`, with
`cap_sign_key_password` if it is encrypted) and the PEM certificate for it (`cap_sign_cert`);
the files are read for every message, so a rotated key is used at once.
When signing is configured and anything goes wrong (a file missing or unreadable, a key that
does not match the certificate, signxml failing) `CapSigningFailed` is raised and logged:
nothing is ever published unsigned instead.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree  # type: ignore[import-untyped,unused-ignore]
from signxml.algorithms import CanonicalizationMethod, SignatureMethod
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, XMLVerifier

from tocsin.cap import DSIG
from tocsin.cap.errors import CapSignatureInvalid, CapSigningFailed
from tocsin.cap.parse import Element, parse, safe_parser

log = logging.getLogger("tocsin.cap")
C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0


@dataclass(frozen=True, slots=True)
class KeyPair:
    key: Any
    cert_pem: str


_loaded: dict[str, KeyPair] = {}


class Signer:
    def __init__(self, key_path: str, cert_path: str, password: str | None = None) -> None:
        self.key_path = key_path
        self.cert_path = cert_path
        self.password = password

    def load(self) -> KeyPair:
        """The key and certificate as the files hold them now (parsed once per content)."""
        try:
            if not self.key_path or not self.cert_path:
                raise ValueError("both cap_sign_key and cap_sign_cert must be set to sign")
            with open(self.key_path, "rb") as f:
                key_pem = f.read()
            with open(self.cert_path, "rb") as f:
                cert_pem = f.read()
            stamp = hashlib.sha256(
                key_pem + b"\0" + cert_pem + b"\0" + (self.password or "").encode()
            ).hexdigest()
            if stamp not in _loaded:
                _loaded.clear()
                _loaded[stamp] = self._read(key_pem, cert_pem)
            return _loaded[stamp]
        except Exception as exc:
            raise self._failed(exc) from None

    def _read(self, key_pem: bytes, cert_pem: bytes) -> KeyPair:
        password = self.password.encode() if self.password else None
        key = serialization.load_pem_private_key(key_pem, password=password)
        cert = x509.load_pem_x509_certificate(cert_pem)
        if _public(cert.public_key()) != _public(key.public_key()):
            raise ValueError("the private key does not belong to the certificate")
        return KeyPair(key, cert.public_bytes(serialization.Encoding.PEM).decode())

    def sign(self, root: Element) -> bytes:
        """The message with an enveloped signature, as bytes to publish unchanged."""
        pair = self.load()
        try:
            curve = isinstance(pair.key, ec.EllipticCurvePrivateKey)
            method = SignatureMethod.ECDSA_SHA256 if curve else SignatureMethod.RSA_SHA256
            signer = XMLSigner(signature_algorithm=method, c14n_algorithm=C14N)
            signed = signer.sign(root, key=pair.key, cert=pair.cert_pem)
            data: bytes = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
            return data
        except Exception as exc:
            raise self._failed(exc) from None

    def _failed(self, exc: Exception) -> CapSigningFailed:
        log.error("CAP signing failed: %s", exc)
        return CapSigningFailed(
            f"CAP signing is configured but failed, so nothing is published unsigned: {exc}",
            field="cap_sign_key",
        )


def _public(key: Any) -> bytes:
    data: bytes = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return data


@dataclass(frozen=True, slots=True)
class Verified:
    signed: bool
    trusted: bool  # checked against a certificate given, not only the one in the message
    subject: str


def verify(data: bytes, cert_pem: str | None = None) -> Verified:
    """Check a signed message; `CapSignatureInvalid` if it is unsigned or does not verify.

    With `cert_pem` the signature must be made by that certificate's key; without, it is
    checked against the certificate the message carries (intact, but not who signed it).
    """
    root = parse(data)
    signatures = root.findall(f"{{{DSIG}}}Signature")
    if not signatures:
        raise CapSignatureInvalid("the message has no ds:Signature", field="Signature")
    cert = cert_pem or _embedded_cert(signatures[0])
    try:
        XMLVerifier().verify(
            data,
            x509_cert=cert,
            parser=safe_parser(),
            expect_config=SignatureConfiguration(location="./"),
        )
    except Exception as exc:  # signxml raises its own errors, lxml's and cryptography's
        raise CapSignatureInvalid(
            f"the signature does not verify: {exc}", field="Signature"
        ) from None
    subject = x509.load_pem_x509_certificate(cert.encode()).subject.rfc4514_string()
    return Verified(True, cert_pem is not None, subject)


def _embedded_cert(signature: Element) -> str:
    found = signature.find(f".//{{{DSIG}}}X509Certificate")
    if found is None or not (found.text or "").strip():
        raise CapSignatureInvalid(
            "the signature carries no X509Certificate; give the signer's certificate",
            field="Signature",
        )
    body = "".join((found.text or "").split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
