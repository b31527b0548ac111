"""Host lookups held to public addresses, for deliveries made by code that connects by itself.

Webhooks connect with their own client and pin the address they checked
(`tocsin.channels.webhook`). apprise's plugins connect in their own ways (requests, smtplib,
paho-mqtt, plain sockets), but every one of them looks its host up through
`socket.getaddrinfo`. Within `public_only()`, each lookup made in that context is checked
address by address, by the rules webhooks follow (`webhook.refusal`): a lookup with any address
that is not a public one fails as if the host had none, and the guard keeps the reason;
otherwise the caller is handed exactly the addresses that were checked, so a name cannot
answer the check with one address and the connection with another. apprise runs each send in
a worker thread with a copy of the caller's context, so the guard goes along.

A thread that a plugin starts by itself does not inherit the context: paho-mqtt's network loop
reconnecting on its own after a broken connection is not checked again.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import socket
from collections.abc import Callable, Iterator
from typing import Any

from tocsin.channels.webhook import refusal, refused

Lookup = Callable[..., list[Any]]
"""`socket.getaddrinfo`'s signature and answers."""

_active: contextvars.ContextVar[Guard | None] = contextvars.ContextVar(
    "tocsin_outbound_guard", default=None
)
_system: Lookup = socket.getaddrinfo


class Guard:
    """The lookups of one delivery: every answer checked, the first refusal kept."""

    def __init__(self, lookup: Lookup | None = None) -> None:
        self.lookup = lookup or _system
        self.refused: str | None = None

    def resolve(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        answers = self.lookup(host, port, *args, **kwargs)
        name = host.decode() if isinstance(host, bytes) else str(host)
        for answer in answers:
            address = ipaddress.ip_address(str(answer[4][0]).split("%")[0])
            reason = refusal(address)
            if reason is not None:
                message = str(refused(name, address, reason))
                self.refused = self.refused or message
                raise socket.gaierror(socket.EAI_NONAME, message)
        return answers


@contextlib.contextmanager
def public_only(lookup: Lookup | None = None) -> Iterator[Guard]:
    """Check every host lookup made in this context (and copies of it) until the block ends;
    `lookup` stands in for the system's resolver (tests)."""
    _install()
    guard = Guard(lookup)
    token = _active.set(guard)
    try:
        yield guard
    finally:
        _active.reset(token)


def _guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
    guard = _active.get()
    if guard is None:
        return _system(host, port, *args, **kwargs)
    return guard.resolve(host, port, *args, **kwargs)


def _install() -> None:
    """Route `socket.getaddrinfo` through the guard (once; unguarded lookups pass straight on)."""
    global _system
    if socket.getaddrinfo is not _guarded_getaddrinfo:
        _system = socket.getaddrinfo
        socket.getaddrinfo = _guarded_getaddrinfo
