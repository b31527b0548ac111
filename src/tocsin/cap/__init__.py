"""CAP 1.2 (OASIS Common Alerting Protocol) out and in.

Out: every alert event is one CAP message (`render`), served one by one and as an Atom feed
(`feed`), optionally signed with XML-DSig (`sign`). In: messages from other authorities are
parsed safely (`parse`), checked against the OASIS schema and the spec's rules (`validate`) and
mapped onto our threat types and regions (`geo`, `tocsin.service.cap_import`).
See docs/cap.md.
"""

from __future__ import annotations

from typing import Final

CAP12: Final = "urn:oasis:names:tc:emergency:cap:1.2"
CAP11: Final = "urn:oasis:names:tc:emergency:cap:1.1"
CAP10: Final = "http://www.incident.com/cap/1.0"
VERSIONS: Final = {CAP12: "1.2", CAP11: "1.1", CAP10: "1.0"}
DSIG: Final = "http://www.w3.org/2000/09/xmldsig#"
CAP_MEDIA_TYPE: Final = "application/cap+xml"
ATOM_MEDIA_TYPE: Final = "application/atom+xml"
