"""Siren sound from the threat catalogue's siren pattern, and audio encoding.

Every pattern is made of one tone shape, mono at `RATE` Hz, with a short fade at both ends so
that nothing clicks on air:

    continuous   a steady 520 Hz tone (strike imminent: shelter now)
    wail         rising and falling between 330 and 690 Hz, one cycle every 8 s
    pulsed       a 520 Hz tone, one second on and one second off (stay inside)
    all_clear    a steady, lower 360 Hz tone
    none         no sound

The sound is generated once per (pattern, seconds, format) and kept, so a pattern changed in
configuration gives a new sound and an unchanged one costs nothing after its first request.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import soundfile

from tocsin.domain.threats import SirenPattern
from tocsin.errors import InvalidInput, NotFound

RATE: Final = 24_000  # Hz: one that WAV, Opus and MPEG-2 layer III all take
FADE: Final = 0.05  # seconds
LEVEL: Final = 0.6  # of full scale
Samples = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Format:
    container: str
    subtype: str
    media_type: str


FORMATS: Final = {
    "wav": Format("WAV", "PCM_16", "audio/wav"),
    "ogg": Format("OGG", "OPUS", "audio/ogg"),
    "mp3": Format("MP3", "MPEG_LAYER_III", "audio/mpeg"),
}


def audio_format(name: str) -> Format:
    found = FORMATS.get(name)
    if found is None:
        known = ", ".join(FORMATS)
        raise InvalidInput(f"format must be one of {known}; got {name!r}", field="format")
    return found


def siren(pattern: SirenPattern, fmt: str) -> bytes:
    """The siren of `pattern`, encoded; made once, then kept."""
    if pattern.name == "none" or pattern.seconds <= 0:
        raise NotFound("this threat sounds no siren")
    audio_format(fmt)
    return _siren(pattern.name, pattern.seconds, fmt)


@functools.lru_cache(maxsize=32)
def _siren(name: str, seconds: int, fmt: str) -> bytes:
    return encode(tone(name, seconds), fmt)


def tone(name: str, seconds: float) -> Samples:
    t = np.arange(round(seconds * RATE), dtype=np.float64) / RATE
    if name == "wail":
        frequency = 510 + 180 * np.sin(2 * np.pi * t / 8)
    else:
        frequency = np.full_like(t, 360.0 if name == "all_clear" else 520.0)
    phase = 2 * np.pi * np.cumsum(frequency) / RATE
    wave = np.sin(phase) + 0.3 * np.sin(2 * phase)  # a harmonic: a horn, not a test tone
    if name == "pulsed":
        wave *= (t % 2.0) < 1.0
    return faded(wave / 1.3 * LEVEL)


def faded(samples: npt.NDArray[np.float64]) -> Samples:
    n = min(round(FADE * RATE), len(samples) // 2)
    if n:
        ramp = np.linspace(0.0, 1.0, n)
        samples[:n] *= ramp
        samples[-n:] *= ramp[::-1]
    return samples.astype(np.float32)


def silence(seconds: float) -> Samples:
    return np.zeros(round(seconds * RATE), dtype=np.float32)


def encode(samples: Samples, fmt: str) -> bytes:
    spec = audio_format(fmt)
    out = io.BytesIO()
    with soundfile.SoundFile(out, "w", RATE, 1, spec.subtype, format=spec.container) as file:
        file.write(samples)
    return out.getvalue()


_MPEG2_KBPS: Final = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_MPEG2_RATES: Final = (22_050, 24_000, 16_000)


def streamable(data: bytes, fmt: str) -> bytes:
    """Encoded audio that may follow other pieces in one stream: an MP3 without the leading
    Xing/Info frame, which gives the length of a file and would end a stream's decoding there
    (Ogg pieces chain as they are)."""
    if fmt != "mp3" or len(data) < 4 or data[0] != 0xFF or data[1] & 0xE0 != 0xE0:
        return data
    kbps = _MPEG2_KBPS[data[2] >> 4]
    rate = _MPEG2_RATES[(data[2] >> 2) & 3] if (data[2] >> 2) & 3 < 3 else 0
    if not kbps or not rate:
        return data
    size = 72_000 * kbps // rate + ((data[2] >> 1) & 1)
    first = data[:size]
    return data[size:] if b"Xing" in first or b"Info" in first else data


def decode(data: bytes) -> Samples:
    """Audio of any format libsndfile reads, as mono samples at `RATE`."""
    samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    mono: npt.NDArray[np.float64] = samples.mean(axis=1, dtype=np.float64)
    if rate != RATE:
        times = np.arange(round(len(mono) * RATE / rate)) * (rate / RATE)
        mono = np.interp(times, np.arange(len(mono)), mono)
    return mono.astype(np.float32)
