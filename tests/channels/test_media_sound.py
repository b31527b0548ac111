"""Siren sound from the catalogue's patterns, the encoders, and the spoken announcement text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audio_support import sox_stat
from tocsin.cap.texts import Situation, Wording
from tocsin.channels.media import announcement, sound
from tocsin.domain.alerts import Status
from tocsin.domain.threats import ALL_CLEAR_SIREN, SirenPattern, builtin
from tocsin.errors import InvalidInput, NotFound


def seconds_of(samples: np.ndarray) -> float:
    return len(samples) / sound.RATE


@pytest.mark.parametrize(("name", "seconds"), [("continuous", 180), ("pulsed", 120)])
def test_the_builtin_missile_and_uav_sirens_last_as_the_catalogue_says(
    name: str, seconds: int
) -> None:
    threat = builtin()["missile" if name == "continuous" else "uav"]
    assert threat.siren == SirenPattern.of(name, seconds)
    assert seconds_of(sound.tone(name, seconds)) == seconds


def test_a_continuous_tone_never_stops_and_a_pulsed_one_does() -> None:
    second = sound.RATE
    continuous = np.abs(sound.tone("continuous", 6)).reshape(-1, second // 10).max(axis=1)
    pulsed = np.abs(sound.tone("pulsed", 6)).reshape(-1, second // 10).max(axis=1)
    assert continuous[1:-1].min() > 0.3  # every tenth of a second sounds
    assert pulsed[1:9].min() > 0.3 and pulsed[11:19].max() == 0  # one second on, one off
    assert pulsed[21:29].min() > 0.3


def dominant_frequency(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(len(samples), 1 / sound.RATE)[spectrum.argmax()])


def test_the_all_clear_is_lower_than_the_alarm_and_the_wail_rises_and_falls() -> None:
    second = sound.RATE
    alarm = dominant_frequency(sound.tone("continuous", 1))
    assert dominant_frequency(sound.tone("all_clear", 1)) < alarm - 100
    wail = sound.tone("wail", 8)
    rising, falling = wail[second : 2 * second], wail[5 * second : 6 * second]
    assert dominant_frequency(rising) > dominant_frequency(falling) + 200


def test_a_siren_is_made_once_and_a_changed_pattern_makes_a_new_one() -> None:
    short = SirenPattern.of("pulsed", 3)
    first = sound.siren(short, "wav")
    assert sound.siren(SirenPattern.of("pulsed", 3), "wav") is first  # kept
    longer = sound.siren(SirenPattern.of("pulsed", 4), "wav")
    other = sound.siren(SirenPattern.of("wail", 3), "wav")
    assert seconds_of(sound.decode(longer)) == 4
    assert other != first and seconds_of(sound.decode(other)) == 3


@pytest.mark.parametrize("fmt", ["wav", "mp3"])
def test_sox_hears_the_encoded_siren(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"siren.{fmt}"
    path.write_bytes(sound.siren(ALL_CLEAR_SIREN, fmt))
    stat = sox_stat(path)
    assert 59.5 < stat["Length (seconds)"] < 60.5
    assert stat["RMS amplitude"] > 0.2


def test_opus_in_ogg_decodes_to_the_same_length() -> None:
    data = sound.siren(SirenPattern.of("continuous", 2), "ogg")
    assert data[:4] == b"OggS" and b"OpusHead" in data[:100]
    decoded = sound.decode(data)
    assert abs(seconds_of(decoded) - 2) < 0.1
    assert np.sqrt(np.mean(decoded**2)) > 0.2


def test_no_siren_and_an_unknown_format_are_refused() -> None:
    with pytest.raises(NotFound):
        sound.siren(SirenPattern.of("none", 0), "wav")
    with pytest.raises(InvalidInput) as refused:
        sound.siren(ALL_CLEAR_SIREN, "flac")
    assert refused.value.field == "format"


def wording(situation: Situation, status: Status = Status.ACTUAL, **extra: object) -> Wording:
    regions = ["Kharkiv Oblast", "Sumy Oblast"]
    return Wording(situation, status, builtin()["missile"], regions, "en", **extra)  # type: ignore[arg-type]


def test_an_announcement_says_the_signal_places_shelter_and_what_to_do() -> None:
    said = announcement.script(wording(Situation.ALERT, shelter=90))
    assert said.startswith("Rocket Danger!")
    assert "Kharkiv Oblast, Sumy Oblast." in said
    assert "Reach shelter within 90 s." in said
    assert "shelter" in said.split("90 s.")[1].lower()


def test_an_exercise_begins_and_ends_with_this_is_a_drill() -> None:
    said = announcement.script(wording(Situation.ALERT, Status.EXERCISE), "repeat")
    assert said.startswith("This is a drill. Still in force. EXERCISE: Rocket Danger!")
    assert said.endswith(" This is a drill.")
    uk = Wording(Situation.ALERT, Status.EXERCISE, builtin()["missile"], ["Харківська"], "uk")
    assert announcement.script(uk).startswith("Це навчання. НАВЧАННЯ: Ракетна небезпека!")


def test_the_closing_announcements_and_the_false_alarm_message() -> None:
    ended = announcement.script(wording(Situation.ALL_CLEAR), "escalated")
    assert ended.startswith("All clear: Kharkiv Oblast")  # no change is said once it is over
    cancelled = announcement.script(
        wording(Situation.CANCELLED, cancel_message="A radar fault, sorry.")
    )
    assert cancelled.startswith("False alarm, alert cancelled")
    assert "A radar fault, sorry." in cancelled
    with pytest.raises(InvalidInput):
        announcement.script(wording(Situation.ALERT), "louder")
