"""The erasure's own audit event: who, when, why, which keys; never the personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from events.store.envelope import Event


@dataclass(frozen=True)
class PersonalDataErased(Event):
    subject_id: str
    reason: str
    erased_by: str
    erased_at: datetime
    key_ids: tuple[str, ...]  # the data keys destroyed: lets a restored key table re-apply it
