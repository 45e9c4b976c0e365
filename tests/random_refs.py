"""Unique ids per test, so tests never collide and never need to clean up."""

import uuid


def random_id(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"
