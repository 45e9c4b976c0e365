"""The erasure request."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErasePersonalData:
    subject_id: str  # a customer id: the data subject whose key is destroyed
    reason: str  # why (a deletion request under PIPL art. 47, its reference): never the data
