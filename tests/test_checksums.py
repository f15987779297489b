"""components/checksums.py: the checksum annotations that roll pods when their content changes."""

from __future__ import annotations

import hashlib
import hmac

from components.checksums import (
    checksum,
    checksum_annotation,
)


def test_checksum_is_stable_across_key_order_and_changes_with_any_value() -> None:
    assert checksum({"a": "1", "b": "2"}) == checksum({"b": "2", "a": "1"})
    assert checksum({"a": "1", "b": "2"}) != checksum({"a": "1", "b": "3"})
    assert checksum({"a": "1"}) != checksum({"a": "1", "": ""})
    assert checksum_annotation("app-config", {"a": "1"}) == {"checksum/app-config": checksum({"a": "1"})}


def test_checksum_is_the_sha256_of_canonical_json() -> None:
    assert checksum({"b": "2", "a": "é"}) == hashlib.sha256('{"a":"é","b":"2"}'.encode()).hexdigest()


def test_keyed_checksum_is_an_hmac_that_a_guess_without_the_key_cannot_match() -> None:
    key = "k" * 32
    keyed = checksum({"TOKEN": "1234"}, key)
    assert keyed == hmac.new(key.encode(), b'{"TOKEN":"1234"}', hashlib.sha256).hexdigest()
    assert keyed != checksum({"TOKEN": "1234"})
    assert keyed != checksum({"TOKEN": "1234"}, "j" * 32)
