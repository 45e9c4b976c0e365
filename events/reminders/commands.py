"""Commands of reminders: the worker's decision to remind, and a person reading theirs."""

from __future__ import annotations

from dataclasses import dataclass

MAX_IDS = 100  # notification ids in one markNotificationsRead


@dataclass(frozen=True)
class MarkNotificationsRead:
    notification_ids: tuple[str, ...]  # empty with up_to_position: everything up to it
    up_to_position: int | None = None
