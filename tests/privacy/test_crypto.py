"""The cryptography of crypto-shredding, without a database."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from events.customers.commands import CustomerRegistered
from events.store import crypto
from events.store.crypto import MasterKeyError
from events.store.envelope import encode
from events.store.shredding import seal_payload, subject_of
from events.visits.commands import VisitLogged
from tests.privacy.builders import registered

CIPHER = AESGCM(crypto.new_data_key())


def test_privacy_a_sealed_value_opens_only_for_its_subject_event_and_field() -> None:
    sealed = crypto.seal(CIPHER, "k1", "cust-1", "CustomerRegistered", "notes", "张三的手机")
    assert "张三" not in str(sealed) and sealed["subject"] == "cust-1"
    assert crypto.open_sealed(CIPHER, sealed, "CustomerRegistered", "notes") == "张三的手机"
    with pytest.raises(InvalidTag):  # moved to another field
        crypto.open_sealed(CIPHER, sealed, "CustomerRegistered", "contacts")
    with pytest.raises(InvalidTag):  # moved to another event type
        crypto.open_sealed(CIPHER, sealed, "CustomerProfileUpdated", "notes")
    with pytest.raises(InvalidTag):  # relabelled as another subject
        crypto.open_sealed(CIPHER, {**sealed, "subject": "cust-2"}, "CustomerRegistered",
                           "notes")
    with pytest.raises(InvalidTag):  # under another key
        crypto.open_sealed(AESGCM(crypto.new_data_key()), sealed, "CustomerRegistered", "notes")


def test_privacy_master_key_text_or_file_and_bad_ones_refused(tmp_path: object) -> None:
    key = crypto.new_master_key()
    assert len(crypto.parse_master_key(key)) == 32
    from pathlib import Path

    path = Path(str(tmp_path)) / "master"
    path.write_text(key + "\n", encoding="utf-8")
    assert crypto.parse_master_key(str(path)) == crypto.parse_master_key(key)
    for bad in ("", "short", "A" * 60):
        with pytest.raises(MasterKeyError):
            crypto.parse_master_key(bad)
    master = crypto.parse_master_key(key)
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap(master, data_key)
    assert wrapped != data_key and crypto.unwrap(master, wrapped) == data_key
    assert crypto.check_value(master) != crypto.check_value(crypto.parse_master_key(
        crypto.new_master_key()))


def test_privacy_marked_fields_are_sealed_and_the_rest_stays_in_clear() -> None:
    event = registered("cust-9")
    assert subject_of(event) == "cust-9"
    payload = seal_payload(event, encode(event), {"cust-9": ("key-1", CIPHER)})
    assert crypto.is_sealed(payload["contacts"]) and crypto.is_sealed(payload["notes"])
    assert crypto.is_sealed(payload["classification"]["gender"])
    assert crypto.is_sealed(payload["classification"]["wage_band"])
    # Market attributes, the organisation and the ids stay readable (T1, lists, search).
    assert payload["classification"]["region"] == "east"
    assert payload["organisation_name"] == event.organisation_name
    assert payload["customer_id"] == "cust-9"
    assert isinstance(CustomerRegistered.PERSONAL.fields, dict)
    assert "received_by.name" in VisitLogged.PERSONAL.fields


def test_privacy_without_a_key_for_the_subject_nothing_is_sealed() -> None:
    event = registered("cust-10")
    assert seal_payload(event, encode(event), {}) == encode(event)
