"""Speech: text spoken offline by espeak-ng (Debian's `espeak-ng`), one voice per language.

The voice for each language comes from the `speech_voices` setting; a language without one
is spoken with the voice of the same name. The text goes to espeak-ng on its standard input,
so no text is ever read as an option.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Mapping
from typing import Final

from tocsin.channels.media import sound
from tocsin.errors import Unavailable
from tocsin.types import Lang

PROGRAM: Final = "espeak-ng"
WORDS_PER_MINUTE: Final = 150
DEFAULT_VOICES: Final = {"en": "en-us", "uk": "uk", "ru": "ru"}


def voice_for(voices: Mapping[str, str], lang: Lang) -> str:
    return voices.get(lang) or DEFAULT_VOICES.get(lang, lang)


async def speak(text: str, voice: str) -> sound.Samples:
    """The text spoken, as samples at `sound.RATE`."""
    program = shutil.which(PROGRAM)
    if program is None:
        raise Unavailable(f"speech needs {PROGRAM} (Debian package espeak-ng)")
    process = await asyncio.create_subprocess_exec(
        program, "-v", voice, "-s", str(WORDS_PER_MINUTE), "--stdout",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    wav, errors = await process.communicate(text.encode())
    if process.returncode != 0 or not wav:
        reason = errors.decode(errors="replace").strip() or f"exit {process.returncode}"
        raise Unavailable(f"{PROGRAM} could not speak with voice {voice!r}: {reason}")
    return sound.decode(wav)
