"""The public event shape: the stored payload (snake_case, fen, enum values, UTC) converted at
the edge to the API's conventions, without touching what is stored."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from events.customers.commands import CustomerRegistered
from events.customers.values import AgeBand, Classification, CustomerStatus, Tier
from events.integration.public import camel, event_id, public_event, public_json
from events.sales.commands import SaleRecorded
from events.store.envelope import Event, Metadata, StoredEvent, encode

SHANGHAI = ZoneInfo("Asia/Shanghai")
META = Metadata("u-1", "Li Lei", "manager", "corr-1")


def stored(event: Event, stream_id: str, stream_type: str) -> StoredEvent:
    return StoredEvent(
        position=7, stream_id=stream_id, stream_type=stream_type, version=1,
        event_type=type(event).__name__, schema_version=type(event).SCHEMA_VERSION,
        payload=json.loads(json.dumps(encode(event))), metadata=META,
        recorded_at=datetime(2026, 3, 1, 2, 30, tzinfo=UTC), hash=b"\x01" * 32)


def test_money_becomes_a_decimal_string_under_its_api_name() -> None:
    sale = SaleRecorded("s-1", "c-1", "P-9", 140000, date(2026, 2, 28), None, None)
    e = stored(sale, "sale-s-1", "sale")
    assert e.payload["amount_fen"] == 140000  # what is stored is left alone
    data = public_event(e, SHANGHAI)["data"]
    assert data == {"saleId": "s-1", "customerId": "c-1", "productCode": "P-9",
                    "amount": "1400.00", "soldOn": "2026-02-28", "reference": None,
                    "importId": None}


def test_enums_are_the_api_enum_values_and_nested_values_are_camel_case() -> None:
    registered = CustomerRegistered(
        "c-1", "Acme", Tier.IMPORTANT, CustomerStatus.ACTIVE, (),
        Classification(age_band=AgeBand.FROM_18_TO_45), None, None, date(2026, 1, 5))
    e = stored(registered, "customer-c-1", "customer")
    assert e.payload["classification"]["age_band"] == "18_45"
    data = public_event(e, SHANGHAI)["data"]
    assert data["tier"] == "IMPORTANT" and data["status"] == "ACTIVE"
    assert data["classification"]["ageBand"] == "FROM_18_TO_45"
    assert data["organisationName"] == "Acme" and data["registeredOn"] == "2026-01-05"


def test_the_envelope_carries_id_times_with_the_company_offset_and_the_role_enum() -> None:
    sale = SaleRecorded("s-2", "c-1", "P-9", 5, date(2026, 2, 28), "r", "i")
    e = stored(sale, "sale-s-2", "sale")
    body = json.loads(public_json(e, SHANGHAI))
    assert body["id"] == event_id(e) == "sale-s-2:1"
    assert body["recordedAt"] == "2026-03-01T10:30:00+08:00"
    assert body["actor"] == {"id": "u-1", "name": "Li Lei", "role": "MANAGER"}
    assert body["data"]["amount"] == "0.05"
    assert {"position", "type", "streamId", "streamType", "version", "hash"} <= body.keys()


def test_an_unknown_event_type_keeps_its_payload_with_camel_case_keys() -> None:
    e = StoredEvent(1, "x-1", "x", 1, "SomethingFromTheFuture", 1,
                    {"some_field": 1, "lines": [{"price_fen": 250}]}, META,
                    datetime(2026, 1, 1, tzinfo=UTC), b"")
    assert public_event(e, SHANGHAI)["data"] == {"someField": 1,
                                                    "lines": [{"price": "2.50"}]}
    assert camel("needs_and_problems") == "needsAndProblems"
