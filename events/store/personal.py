"""Marking the fields of an event that hold personal data (crypto-shredding, docs/privacy.md).

An event class names its data subject and its personal fields explicitly:

    PERSONAL: ClassVar[Personal] = Personal(subject="customer_id", fields={
        "contacts": (), "notes": None, "classification.gender": None})

`subject` is the payload field whose value identifies the person (it stays in clear); each
path is a dotted path into the payload (`*` steps into every item of a list) and maps to the
value the field reads as once the subject's key is destroyed, chosen to fit the field's type
(None for an optional value, () for a list, ERASED for required text). Pure: no crypto here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ERASED = "[已删除]"
"""What required text reads as after its subject's erasure (optional fields read as null)."""

ENC_KEY = "kehu:enc"  # marks an encrypted value in a stored payload
ERASED_KEY = "kehu:erased"  # added to a decrypted payload: the paths that read as erased


@dataclass(frozen=True)
class Personal:
    subject: str
    fields: Mapping[str, Any]
    steps: tuple[tuple[str, tuple[str, ...]], ...] = field(init=False, repr=False,
                                                           compare=False)

    def __post_init__(self) -> None:
        # Split once: every append and every read of a marked event walks these.
        object.__setattr__(self, "steps", tuple((p, tuple(p.split("."))) for p in self.fields))

    def paths(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return self.steps
