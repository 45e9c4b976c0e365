"""What the server writes on the wire: responses and WebSocket frames through msgspec
(schema/response_json.py), and the frame sniffing that keeps the subscription gauge right
without decoding every frame (schema/metrics_http.py)."""

from __future__ import annotations

import json
import math
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schema.metrics_http import _carries_data
from schema.response_json import response_json

texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
values = st.recursive(
    st.none() | st.booleans() | texts | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=30,
)


@given(values)
@settings(max_examples=300, deadline=None)
def test_responses_read_back_as_the_standard_librarys_would(value: Any) -> None:
    assert json.loads(response_json(value)) == json.loads(json.dumps(value))


def test_raw_json_goes_out_as_it_came() -> None:
    stored = b'{"amount": "12.30", "note": "\xe5\xae\xa2\xe6\x88\xb7"}'
    out = response_json({"payload": msgspec.Raw(stored)})
    assert json.loads(out) == {"payload": {"amount": "12.30", "note": "客户"}}


def test_not_a_number_is_written_as_valid_json() -> None:
    assert response_json({"a": math.nan, "b": math.inf, "n": 2**70}) == (
        '{"a":null,"b":null,"n":1180591620717411303424}')


def test_an_object_no_writer_knows_is_refused_not_written_as_its_text() -> None:
    with pytest.raises(TypeError):
        response_json({"value": object()})


def next_frame(ident: str) -> str:
    return response_json({"id": ident, "type": "next", "payload": {"data": {"x": 1}}})


def test_next_and_data_frames_are_told_without_parsing() -> None:
    assert _carries_data(next_frame("1"))
    assert _carries_data(response_json({"type": "data", "id": "1", "payload": {}}))


def test_frames_that_end_a_subscription_are_never_taken_for_data() -> None:
    assert not _carries_data(response_json({"id": "1", "type": "complete"}))
    assert not _carries_data(response_json({"id": "1", "type": "error", "payload": []}))
    # An id chosen to look like a data frame is escaped inside its string.
    sneaky = '","type":"next","payload":'
    assert not _carries_data(response_json({"id": sneaky, "type": "complete"}))
    assert not _carries_data(response_json({"id": sneaky, "type": "error", "payload": []}))
