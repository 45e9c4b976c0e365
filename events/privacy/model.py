"""Erasure, pure: who may ask, what the request must say, and the erasure stream's state.

The general manager alone erases: erasure is irreversible, removes data every other role
relies on (contacts for visits, T1 attributes), and answers a legal request (PIPL art. 47) the
company as a whole is accountable for. A manager who could erase could also make a customer's
contacts vanish from the visits and meals they approved; the auditor writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from events.privacy.commands import ErasePersonalData
from events.privacy.events import PersonalDataErased
from events.shared.actors import Role
from events.shared.context import Context
from events.shared.errors import ValidationFailed
from events.shared.validation import MAX_ID, MAX_TEXT
from events.store.envelope import Event

STREAM_TYPE = "erasure"
RULE = "privacy"


def stream_id(subject_id: str) -> str:
    return f"erasure-{subject_id}"


@dataclass(frozen=True)
class ErasureState:
    subject_id: str
    erasures: int
    key_ids: frozenset[str]  # every key an erasure of this subject named


def check(command: ErasePersonalData, ctx: Context) -> None:
    """Refuse before anything is destroyed."""
    ctx.require_role(Role.GENERAL_MANAGER, action="erasing personal data", rule=RULE)
    if not command.subject_id.strip() or len(command.subject_id) > MAX_ID:
        raise ValidationFailed.single("subjectId", f"subjectId is required (at most {MAX_ID}"
                                      " characters)", RULE)
    if not command.reason.strip() or len(command.reason) > MAX_TEXT:
        raise ValidationFailed.single("reason", f"say why the data is erased (at most"
                                      f" {MAX_TEXT} characters)", RULE)


def decide(command: ErasePersonalData, ctx: Context, destroyed: list[str]) -> list[Event]:
    """The audit event of an erasure whose keys (`destroyed`) are already gone."""
    check(command, ctx)
    return [PersonalDataErased(command.subject_id, command.reason.strip(), ctx.actor.user_id,
                               ctx.now, tuple(sorted(destroyed)))]


def evolve(state: ErasureState | None, event: Event) -> ErasureState:
    if not isinstance(event, PersonalDataErased):
        raise ValueError(f"{type(event).__name__} is not an erasure event")
    before = state.key_ids if state is not None else frozenset()
    return ErasureState(event.subject_id, (state.erasures if state else 0) + 1,
                        before | set(event.key_ids))
