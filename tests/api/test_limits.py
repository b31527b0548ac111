"""The per-client request window: a full table forgets the quietest client, not everyone."""

from __future__ import annotations

import pytest

from tocsin.api import limits
from tocsin.api.limits import Window
from tocsin.errors import TooManyAttempts


def test_a_full_table_forgets_the_quietest_clients_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "CLIENTS", 10)
    window = Window()
    window.admit("hammer", 1, "requests", now=0.0)
    with pytest.raises(TooManyAttempts):
        window.admit("hammer", 1, "requests", now=1.0)
    for n in range(9):
        window.admit(f"client-{n}", 1, "requests", now=2.0)
    with pytest.raises(TooManyAttempts):  # still held: ten clients fit, and it was heard last
        window.admit("hammer", 1, "requests", now=3.0)
    for n in range(9, 18):
        window.admit(f"client-{n}", 1, "requests", now=4.0)
    assert "hammer" in window.seen and "client-0" not in window.seen  # the quietest went first
    window.admit("client-18", 1, "requests", now=5.0)
    assert "hammer" not in window.seen and len(window.seen) == 10
