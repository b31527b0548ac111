"""Alert events as CAP 1.2 messages: XSD-valid for every event type, status and threat, and
following the spec's rules beyond the schema (hypothesis drives the alert histories)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from cap_support import CAP12, NS, START, schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from tocsin.cap.render import (
    CapConfig,
    Rendered,
    Renderer,
    cap_time,
    parse_identifier,
)
from tocsin.cap.validate import tree_problems
from tocsin.config import Settings
from tocsin.domain import alerts as rules
from tocsin.domain.alerts import Change, Status
from tocsin.domain.events import Event
from tocsin.domain.regions import RegionTree
from tocsin.domain.threats import EVENT_CODES, builtin
from tocsin.errors import InvalidInput
from tocsin.regions.packs import load_pack

CATALOGUE = builtin()
TREE = RegionTree([*load_pack("ua"), *load_pack("ru-border")])
XSD = schema()
OBLASTS = sorted(r.code for r in TREE if r.level == "oblast")
SOME_REGIONS = [*OBLASTS[:6], "UA", "UA-05-R36", "UA-05-H154", "RU-BEL"]
SENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d")
STATUS_NAMES = {Status.ACTUAL: "Actual", Status.EXERCISE: "Exercise", Status.TEST: "Test"}


@dataclass
class History:
    """One alert's life, kept as the events the service would have written."""

    now: datetime = START
    events: list[Event] = field(default_factory=list)

    @property
    def alert(self) -> rules.Alert:
        return rules.Alert.from_json(self.events[-1].data["alert"])

    def record(self, change: Change | None, seconds: float = 30) -> None:
        if change is None:
            return
        seq = len(self.events) + 1
        self.events.append(
            Event(
                seq,
                f"event-{seq}",
                change.type.value,
                self.now,
                "tester",
                change.alert.id,
                {"alert": change.alert.to_json(), "changes": change.changes},
            )
        )
        self.now += timedelta(seconds=seconds)

    def raise_(
        self, threat: str = "missile", regions: tuple[str, ...] = ("UA-63",), **kwargs: Any
    ) -> History:
        cmd = rules.RaiseAlert(threat=threat, regions=regions, **kwargs)
        self.record(
            rules.raise_alert(
                cmd, alert_id="a-1", now=self.now, actor="tester", tree=TREE, catalogue=CATALOGUE
            )
        )
        return self

    def update(self, **kwargs: Any) -> History:
        self.record(
            rules.update_alert(
                self.alert,
                rules.UpdateAlert(**kwargs),
                now=self.now,
                tree=TREE,
                catalogue=CATALOGUE,
            )
        )
        return self


def render(history: History, config: CapConfig | None = None) -> list[Rendered]:
    return Renderer(config or CapConfig(), TREE, CATALOGUE).messages(history.events)


def check_message(message: Rendered, earlier: list[Rendered]) -> None:
    """Everything the issue asks of one message."""
    root = message.root
    data = message.to_bytes()
    assert XSD.validate(etree.fromstring(data).getroottree()), XSD.error_log
    assert tree_problems(root, strict=True) == []
    text = {
        name: root.findtext(f"cap:{name}", namespaces=NS)
        for name in ("identifier", "sender", "sent", "status", "msgType", "scope", "references")
    }
    assert SENT.fullmatch(text["sent"])
    assert text["scope"] == "Public"
    assert text["status"] == STATUS_NAMES[message.alert.status]
    assert text["identifier"] not in {m.ref.identifier for m in earlier}
    if not earlier:
        assert text["msgType"] == "Alert"
        assert text["references"] is None
    else:
        assert text["msgType"] in ("Update", "Cancel")
        assert text["references"].split() == [m.ref.triple() for m in earlier]
        for triple in text["references"].split():
            sender, ident, sent = triple.split(",")
            assert SENT.fullmatch(sent) and sender and ident
    infos = root.findall("cap:info", NS)
    assert [i.findtext("cap:language", namespaces=NS) for i in infos] == ["en", "uk", "ru"]
    for info in infos:
        check_info(info, message)


def check_info(info: Any, message: Rendered) -> None:
    def get(name: str) -> str:
        return info.findtext(f"cap:{name}", namespaces=NS) or ""

    threat = CATALOGUE[message.alert.threat]
    assert get("category") == threat.cap.category
    assert get("severity") == threat.cap.severity
    assert get("eventCode/cap:value") == threat.cap.event_code
    assert get("eventCode/cap:valueName") == "tocsin"
    for name in (
        "event",
        "headline",
        "description",
        "instruction",
        "senderName",
        "web",
        "effective",
        "expires",
        "urgency",
        "certainty",
        "responseType",
    ):
        assert get(name), name
    assert get("effective") == message.ref.sent
    assert SENT.fullmatch(get("expires"))
    params = {
        p.findtext("cap:valueName", namespaces=NS): p.findtext("cap:value", namespaces=NS)
        for p in info.findall("cap:parameter", NS)
    }
    assert 0 < len(params["CMAMtext"]) <= 90
    assert 0 < len(params["CMAMlongtext"]) <= 360
    if message.alert.status is not Status.ACTUAL:
        marker = {"en": "EXERCISE", "uk": "НАВЧАННЯ", "ru": "УЧЕНИЯ"}
        if message.alert.status is Status.TEST:
            marker = {"en": "TEST", "uk": "ТЕСТ", "ru": "ТЕСТ"}
        lang = get("language")
        assert params["CMAMtext"].startswith(marker[lang])
        assert get("headline").startswith(marker[lang])
    areas = info.findall("cap:area", NS)
    assert len(areas) == len(message.alert.regions)
    for area, code in zip(areas, message.alert.regions, strict=True):
        geocodes = [
            (g.findtext("cap:valueName", namespaces=NS), g.findtext("cap:value", namespaces=NS))
            for g in area.findall("cap:geocode", NS)
        ]
        assert ("tocsin", code) in geocodes
        for polygon in area.findall("cap:polygon", NS):
            pairs = polygon.text.split()
            assert pairs[0] == pairs[-1] and 4 <= len(pairs) <= 100


def check_history(history: History) -> list[Rendered]:
    messages = render(history)
    assert len(messages) == len(history.events)
    for i, message in enumerate(messages):
        check_message(message, messages[:i])
    return messages


def response_types(message: Rendered) -> set[str]:
    return {e.text for e in message.root.iterfind("cap:info/cap:responseType", NS)}


def urgencies(message: Rendered) -> set[str]:
    return {e.text for e in message.root.iterfind("cap:info/cap:urgency", NS)}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("threat", CATALOGUE.ids())
def test_every_threat_and_status_through_its_whole_life(threat: str, status: Status) -> None:
    other = "uav" if threat != "uav" else "missile"
    history = History().raise_(threat, status=status, pre_alert=True)
    history.record(rules.activate_alert(history.alert, now=history.now))
    history.update(threat=other)  # escalated or de-escalated
    history.update(add_regions=["UA-65", "UA-05-R36"])
    history.update(remove_regions=["UA-65"], headline="Updated", text="Stay inside")
    history.record(rules.end_alert(history.alert, now=history.now))
    messages = check_history(history)
    assert [m.msg_type for m in messages] == ["Alert"] + ["Update"] * 5
    assert urgencies(messages[0]) == {"Expected"}
    assert response_types(messages[0]) == {"Prepare"}
    assert response_types(messages[1]) == {CATALOGUE[threat].cap.response_type}
    assert response_types(messages[-1]) == {"AllClear"}
    assert urgencies(messages[-1]) == {"Past"}


@pytest.mark.parametrize("status", list(Status))
def test_cancelled_alert_is_a_cancel_message_with_the_note(status: Status) -> None:
    history = History().raise_("uav", status=status)
    history.record(rules.cancel_alert(history.alert, now=history.now, message="Radar fault"))
    messages = check_history(history)
    cancel = messages[-1]
    assert cancel.msg_type == "Cancel"
    assert "Radar fault" in cancel.root.findtext("cap:note", namespaces=NS)
    assert response_types(cancel) == {"None"}
    assert "AllClear" not in response_types(cancel)
    assert "Radar fault" in cancel.root.findtext("cap:info/cap:description", namespaces=NS)


def test_expired_alert_is_an_update_that_is_not_an_all_clear() -> None:
    history = History().raise_("missile", expires_at=START + timedelta(minutes=10))
    history.now = START + timedelta(minutes=11)
    history.record(rules.expire_alert(history.alert, now=history.now))
    messages = check_history(history)
    assert messages[-1].msg_type == "Update"
    assert response_types(messages[-1]) == {"Monitor"}
    assert urgencies(messages[-1]) == {"Past"}


@pytest.mark.parametrize("status", [Status.EXERCISE, Status.TEST])
def test_drills_are_never_published_as_actual(status: Status) -> None:
    history = History().raise_("missile", status=status)
    history.record(rules.end_alert(history.alert, now=history.now))
    for message in check_history(history):
        data = message.to_bytes()
        assert b"<status>Actual</status>" not in data
        assert f"<status>{STATUS_NAMES[status]}</status>".encode() in data
        assert message.root.findtext("cap:note", namespaces=NS)


def test_sent_is_the_events_time_with_a_zone_and_identifiers_name_the_version() -> None:
    history = History().raise_().update(threat="uav")
    first, second = render(history)
    assert first.ref.sent == "2026-03-01T12:00:00-00:00"
    assert second.ref.sent == "2026-03-01T12:00:30-00:00"
    assert first.ref.identifier == "tocsin.a-1.1"
    assert second.ref.identifier == "tocsin.a-1.2"
    assert parse_identifier(second.ref.identifier) == ("a-1", 2)
    assert first.root.findtext("cap:incidents", namespaces=NS) == "a-1"


@pytest.mark.parametrize("text", ["a-1.1", "tocsin.a-1", "tocsin..1", "other.a-1.1", "tocsin.a.x"])
def test_identifiers_not_ours_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_identifier(text)
    assert err.value.field == "identifier"


def test_kharkiv_polygon_is_closed_and_in_lat_lon_order() -> None:
    message = render(History().raise_(regions=("UA-63",)))[0]
    polygon = message.root.findtext("cap:info/cap:area/cap:polygon", namespaces=NS)
    pairs = polygon.split()
    lat, lon = (float(x) for x in pairs[0].split(","))
    assert 49 <= lat <= 51 and 34.5 <= lon <= 38.5
    assert pairs[0] == pairs[-1]
    geocodes = message.root.findall("cap:info/cap:area/cap:geocode", NS)
    assert ("ISO3166-2", "UA-63") in [
        (g.findtext("cap:valueName", namespaces=NS), g.findtext("cap:value", namespaces=NS))
        for g in geocodes
    ]


def test_regions_without_a_shape_have_geocodes_only() -> None:
    message = render(History().raise_(regions=("RU-BEL", "RU")))[0]
    oblast, russia = message.root.find("cap:info", NS).findall("cap:area", NS)
    assert oblast.find("cap:polygon", NS) is not None
    assert russia.find("cap:polygon", NS) is None  # the pack has no outline of Russia
    assert russia.findtext("cap:geocode/cap:value", namespaces=NS) == "RU"


def test_raions_have_polygons_and_geocodes() -> None:
    message = render(History().raise_(regions=("UA-05-R36", "UA")))[0]
    raion, country = message.root.find("cap:info", NS).findall("cap:area", NS)
    assert raion.find("cap:polygon", NS) is not None
    assert raion.findtext("cap:geocode/cap:value", namespaces=NS) == "UA-05-R36"
    assert country.find("cap:polygon", NS) is not None
    assert country.findtext("cap:geocode/cap:valueName", namespaces=NS) == "ISO3166-1"


def test_expiry_is_the_alerts_or_the_configured_lifetime() -> None:
    own = render(History().raise_(expires_at=START + timedelta(hours=3)))[0]
    assert own.root.findtext("cap:info/cap:expires", namespaces=NS) == cap_time(
        START + timedelta(hours=3)
    )
    config = CapConfig(lifetime=timedelta(hours=6), retention=timedelta(minutes=20))
    history = History().raise_()
    history.record(rules.end_alert(history.alert, now=history.now))
    opened, ended = render(history, config)
    assert opened.expires == START + timedelta(hours=6)
    assert ended.expires == ended.event.time + timedelta(minutes=20)


def test_areas_and_texts_follow_the_configured_languages() -> None:
    config = CapConfig(languages=("uk", "de"), sender="cap@oda.example", sender_name="ODA")
    message = render(History().raise_(), config)[0]
    infos = message.root.findall("cap:info", NS)
    assert [i.findtext("cap:language", namespaces=NS) for i in infos] == ["uk", "de"]
    assert infos[0].findtext("cap:area/cap:areaDesc", namespaces=NS) == "Харківська область"
    assert infos[1].findtext("cap:event", namespaces=NS) == "Missile threat"  # English fallback
    assert message.root.findtext("cap:sender", namespaces=NS) == "cap@oda.example"
    assert infos[0].findtext("cap:senderName", namespaces=NS) == "ODA"


def test_a_threat_no_longer_in_the_catalogue_still_renders() -> None:
    history = History().raise_()
    data = dict(history.events[0].data)
    data["alert"] = {**data["alert"], "threat": "ghost_type"}
    event = history.events[0]
    history.events[0] = Event(
        event.seq, event.id, event.type, event.time, event.actor, event.alert_id, data
    )
    message = render(history)[0]
    assert XSD.validate(message.root.getroottree())
    assert message.root.findtext("cap:info/cap:eventCode/cap:value", namespaces=NS) == (
        "TOCSIN-GHOST-TYPE"
    )


def test_text_that_xml_cannot_carry_is_dropped() -> None:
    message = render(History().raise_(headline="Bad\x00\x07 text\ud800", text="ok\x1b"))[0]
    data = message.to_bytes()
    assert XSD.validate(etree.fromstring(data).getroottree())
    assert "Bad text" in message.root.findtext("cap:info/cap:headline", namespaces=NS)


def test_event_codes_are_the_published_list() -> None:
    assert {t.cap.event_code for t in CATALOGUE.ordered()} <= set(EVENT_CODES)


def test_config_from_settings() -> None:
    bare = Settings(host="0.0.0.0", port=9000, languages=("en", "uk"))
    assert CapConfig.from_settings(bare).public_url == "http://0.0.0.0:9000"
    config = CapConfig.from_settings(bare, base_url="http://req.example/")
    assert config.public_url == "http://req.example"
    assert config.sender == "tocsin@localhost"
    assert config.languages == ("en", "uk")
    assert (config.lifetime, config.retention) == (timedelta(hours=24), timedelta(hours=1))
    assert not config.signing and config.sign_password is None

    full = Settings(
        public_url="https://alerts.example.ua/",
        cap_sender="cap@alerts.example.ua",
        cap_sender_name="Kharkiv ODA",
        cap_languages=("uk",),
        cap_lifetime=600,
        cap_feed_retention=60,
        cap_sign_key="key.pem",
        cap_sign_cert="cert.pem",
        cap_sign_key_password="s3cret",
    )
    full_config = CapConfig.from_settings(full, base_url="http://ignored")
    assert full_config.public_url == "https://alerts.example.ua"
    assert (full_config.sender, full_config.sender_name, full_config.languages) == (
        "cap@alerts.example.ua",
        "Kharkiv ODA",
        ("uk",),
    )
    assert full_config.lifetime == timedelta(minutes=10)
    assert full_config.retention == timedelta(minutes=1)
    assert full_config.signing and full_config.sign_password == "s3cret"
    assert "s3cret" not in repr(full_config)

    no_sender = Settings(public_url="https://alerts.example.ua")
    assert CapConfig.from_settings(no_sender).sender == "tocsin@alerts.example.ua"


# --- hypothesis: any alert history renders valid CAP -------------------------------------

ACTIONS = st.one_of(
    st.tuples(st.just("threat"), st.sampled_from(CATALOGUE.ids())),
    st.tuples(st.just("add"), st.lists(st.sampled_from(SOME_REGIONS), min_size=1, max_size=4)),
    st.tuples(st.just("remove"), st.integers(0, 10)),
    st.tuples(st.just("headline"), st.text(max_size=160)),
    st.tuples(st.just("text"), st.text(max_size=400)),
    st.tuples(st.just("activate"), st.none()),
)
ENDINGS = st.sampled_from(["end", "cancel", "expire", None])


def apply(history: History, action: str, arg: Any) -> None:
    alert = history.alert
    try:
        if action == "threat":
            history.update(threat=arg)
        elif action == "add":
            history.update(add_regions=arg)
        elif action == "remove" and len(alert.regions) > 1:
            history.update(remove_regions=[alert.regions[arg % len(alert.regions)]])
        elif action in ("headline", "text"):
            history.update(**{action: arg})
        elif action == "activate":
            history.record(rules.activate_alert(alert, now=history.now))
    except InvalidInput:
        pass  # e.g. a text of blanks only
    except rules.IllegalTransition:
        pass  # activating an active alert


def test_a_headline_of_characters_xml_cannot_carry_is_no_headline() -> None:
    history = History().raise_("chemical", ("RU-BEL",))
    history.update(headline="\x1b")
    for message in render(history):
        assert message.root.findtext("cap:info/cap:headline", namespaces=NS)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    status=st.sampled_from(list(Status)),
    threat=st.sampled_from(CATALOGUE.ids()),
    regions=st.lists(st.sampled_from(SOME_REGIONS), min_size=1, max_size=5, unique=True),
    pre_alert=st.booleans(),
    expires=st.sampled_from([None, 5, 120]),
    actions=st.lists(ACTIONS, max_size=6),
    ending=ENDINGS,
    cancel_message=st.one_of(st.none(), st.text(max_size=200)),
)
def test_any_alert_history_renders_valid_cap(
    status: Status,
    threat: str,
    regions: list[str],
    pre_alert: bool,
    expires: int | None,
    actions: list[tuple[str, Any]],
    ending: str | None,
    cancel_message: str | None,
) -> None:
    expires_at = START + timedelta(minutes=expires) if expires else None
    history = History().raise_(
        threat, tuple(regions), status=status, pre_alert=pre_alert, expires_at=expires_at
    )
    for action, arg in actions:
        apply(history, action, arg)
    alert = history.alert
    if ending == "end":
        history.record(rules.end_alert(alert, now=history.now))
    elif ending == "cancel":
        history.record(rules.cancel_alert(alert, now=history.now, message=cancel_message))
    elif ending == "expire" and alert.expires_at is not None:
        history.now = max(history.now, alert.expires_at)
        history.record(rules.expire_alert(alert, now=history.now))
    messages = check_history(history)
    assert {m.root.nsmap[None] for m in messages} == {CAP12}
    closing = {"end": "AllClear", "cancel": "None", "expire": "Monitor"}
    if messages[-1].alert.phase.value in ("ended", "cancelled", "expired"):
        assert response_types(messages[-1]) == {closing[ending or ""]}
    all_clears = [m for m in messages if "AllClear" in response_types(m)]
    assert all_clears in ([], [messages[-1]])  # never a spurious all-clear


def test_time_to_shelter_is_a_parameter_only_where_every_region_has_one() -> None:
    """The least of the regions' times, in seconds; none made up for a region without one."""
    timed = {"UA-63": 90, "UA-59": 60}
    regions = [replace(r, time_to_shelter=timed.get(r.code)) for r in TREE]
    tree = RegionTree(regions)

    def shelter(codes: tuple[str, ...]) -> list[str | None]:
        events = History().raise_(regions=codes).events
        message = Renderer(CapConfig(), tree, CATALOGUE).messages(events)[0]
        check_message(message, [])
        infos = message.root.findall("cap:info", NS)
        found = []
        for info in infos:
            values = [
                p.findtext("cap:value", namespaces=NS)
                for p in info.findall("cap:parameter", NS)
                if p.findtext("cap:valueName", namespaces=NS) == "timeToShelter"
            ]
            assert len(values) <= 1
            found.append(values[0] if values else None)
        assert len(set(found)) == 1  # every language alike
        if found[0] is not None:
            short = [
                p.findtext("cap:value", namespaces=NS)
                for p in infos[0].findall("cap:parameter", NS)
                if p.findtext("cap:valueName", namespaces=NS) == "CMAMtext"
            ]
            assert "shelter" in short[0].lower() or "укрит" in short[0].lower()
        return found

    assert shelter(("UA-63",)) == ["90"] * len(shelter(("UA-63",)))
    assert set(shelter(("UA-63", "UA-59"))) == {"60"}
    assert set(shelter(("UA-63", "UA-30"))) == {None}  # Kyiv has none
    assert set(shelter(("UA-30",))) == {None}
