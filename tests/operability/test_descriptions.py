"""Every type, field and argument of the schema has a description (introspection shows it)."""

from __future__ import annotations

import pytest

from schema import descriptions
from schema.app import build_schema
from schema.settings import Settings


# strawberry warns about the limit extensions' instances (schema/limits.py), not about this.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_every_type_field_and_argument_is_described() -> None:
    schema = build_schema(Settings(jwt_secret="x" * 32))._schema
    assert descriptions.missing(schema) == []
