"""Counting live streams in all and per client address."""

from __future__ import annotations

import pytest

from tocsin.errors import StreamsFull, TooManyStreams
from tocsin.streams.admission import Admission, client_key


def test_a_client_at_its_limit_is_refused_until_one_of_its_streams_ends() -> None:
    admission = Admission(total=10, per_client=2)
    first, _second = admission.admit("192.0.2.1"), admission.admit("192.0.2.1")
    with pytest.raises(TooManyStreams) as info:
        admission.admit("192.0.2.1")
    assert info.value.status == 429 and 5 <= (info.value.retry_after or 0) <= 15
    assert admission.admit("192.0.2.2") is not None  # another client
    first.release()
    first.release()  # once only
    assert admission.count("192.0.2.1") == 1 and admission.open == 2
    admission.admit("192.0.2.1")


def test_the_server_at_its_limit_refuses_everyone() -> None:
    admission = Admission(total=2, per_client=5)
    with admission.admit("192.0.2.1"), admission.admit("192.0.2.2"):
        with pytest.raises(StreamsFull) as info:
            admission.admit("192.0.2.3")
        assert info.value.status == 503 and info.value.code == "streams_full"
    assert (admission.open, admission.clients()) == (0, 0)


def test_a_place_is_freed_when_the_stream_fails() -> None:
    admission = Admission(total=1, per_client=1)
    with pytest.raises(RuntimeError), admission.admit("192.0.2.1"):
        raise RuntimeError("the stream broke")
    assert admission.open == 0


def test_without_limits_every_stream_is_admitted() -> None:
    admission = Admission()
    places = [admission.admit("192.0.2.1") for _ in range(1000)]
    assert admission.open == len(places)


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("testclient", "testclient"),
        (None, ""),
    ],
)
def test_clients_are_counted_by_ipv4_address_and_ipv6_64(address: str | None, key: str) -> None:
    assert client_key(address) == key
