"""Channels register one way, built-in or third-party: an import string, loaded lazily.

A channel is constructed with a `ChannelContext` (what it reads, and `facts` to report
what it observes as commands) and started with the server. A channel whose
optional dependency is missing is skipped with a clear message; the others still run.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any, Protocol

from tocsin.errors import InvalidInput

if TYPE_CHECKING:
    from tocsin.channels.context import ChannelContext

log = logging.getLogger("tocsin.channels")

BUILTIN: dict[str, str] = {
    "subscriptions": "tocsin.channels.subscriptions:SubscriptionChannel",
    "broadcast": "tocsin.channels.broadcast:BroadcastRepeater",
    "push": "tocsin.channels.push:PushChannel",
    "sirens": "tocsin.channels.sirens.bridge:SirenChannel",
}


class Channel(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def status(self) -> list[dict[str, Any]]: ...


def resolve(spec: str) -> Any:
    """`name` of a built-in channel, or `package.module:Class` of any other."""
    target = BUILTIN.get(spec, spec)
    module_name, _, attribute = target.partition(":")
    if not attribute:
        known = ", ".join(sorted(BUILTIN)) or "none"
        raise InvalidInput(
            f"unknown channel {spec!r}: give a built-in one ({known}) or 'module:Class'",
            field="channels",
        )
    module = importlib.import_module(module_name)
    return getattr(module, attribute)


def build_channels(context: ChannelContext, specs: tuple[str, ...]) -> list[Channel]:
    channels: list[Channel] = []
    for spec in specs:
        try:
            factory = resolve(spec)
        except ImportError as exc:
            log.warning("channel %s is disabled: %s (install what it needs)", spec, exc)
            continue
        channels.append(factory(context))
    return channels
