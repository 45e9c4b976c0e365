"""The rule book as versioned data (M15), drafted by the department, approved by the GM (V13).

One stream ("policy") holds every version. A version binds from its effective date; every meal
decision records the version it was made under, so a later version never rewrites history.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from events.policy.figures import (
    SEED_FIGURES,
    AccompanyingBracket,
    CapRule,
    PolicyFigures,
    Share,
    validate_figures,
)
from events.shared.actors import SYSTEM, Role
from events.shared.context import Context
from events.shared.errors import InvalidState, NotFound, ValidationFailed
from events.store.envelope import Event

STREAM_TYPE = "policy"
STREAM_ID = "policy"
# The seed takes effect from a date before any meal the system can hold.
SEED_EFFECTIVE_FROM = date(2000, 1, 1)

__all__ = [
    "SEED_FIGURES", "STREAM_ID", "STREAM_TYPE", "AccompanyingBracket", "ApprovePolicy", "CapRule",
    "DraftPolicy", "PolicyApproved", "PolicyDraft", "PolicyDrafted", "PolicyFigures",
    "PolicyState", "PolicyVersion", "Share", "decide", "evolve", "policy_in_force",
    "policy_version", "seed_commands",
]


# --- commands ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DraftPolicy:
    version: int
    figures: PolicyFigures
    notes: str
    compiled_by: str  # 编制人员: the name on the document


@dataclass(frozen=True)
class ApprovePolicy:
    version: int
    effective_from: date
    reviewed_by: str | None = None  # 审核人员, if the document names one


PolicyCommand = DraftPolicy | ApprovePolicy


# --- events ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyDrafted(Event):
    version: int
    figures: PolicyFigures
    notes: str
    compiled_by: str
    drafted_by: str  # user id
    drafted_at: datetime


@dataclass(frozen=True)
class PolicyApproved(Event):
    version: int
    effective_from: date
    reviewed_by: str | None
    approved_by: str  # user id of the general manager (or "system" for the seed)
    approved_at: datetime


# --- state -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyDraft:
    version: int
    figures: PolicyFigures
    notes: str
    compiled_by: str
    drafted_by: str
    drafted_at: datetime


@dataclass(frozen=True)
class PolicyVersion:
    version: int
    figures: PolicyFigures
    effective_from: date
    drafted_by: str
    approved_by: str
    approved_at: datetime
    reviewed_by: str | None = None
    notes: str = ""


@dataclass(frozen=True)
class PolicyState:
    drafts: tuple[PolicyDraft, ...] = ()
    approved: tuple[PolicyVersion, ...] = ()  # in approval order, effective dates increasing

    def draft(self, version: int) -> PolicyDraft | None:
        return next((d for d in self.drafts if d.version == version), None)


def policy_in_force(state: PolicyState | None, on: date) -> PolicyVersion | None:
    """The approved version that binds on `on`: the latest whose effective date has come."""
    candidates = [v for v in (state or PolicyState()).approved if v.effective_from <= on]
    return max(candidates, key=lambda v: v.effective_from, default=None)


def policy_version(state: PolicyState | None, version: int) -> PolicyVersion | None:
    """An approved version by number: what a recorded decision was made under."""
    return next((v for v in (state or PolicyState()).approved if v.version == version), None)


def seed_commands() -> list[PolicyCommand]:
    """What installs version 1 on first start, run by the SYSTEM actor.

    The source document carries its own compiled-by / approved-by (GM) signature fields, so
    version 1 is pre-approved: the system records that approval instead of a GM clicking it.
    """
    return [
        DraftPolicy(1, SEED_FIGURES, "客户招待用餐管理制度 (source rule book)", "客户服务部"),
        ApprovePolicy(1, SEED_EFFECTIVE_FROM, reviewed_by=None),
    ]


# --- decide / evolve ---------------------------------------------------------------------------
def decide(state: PolicyState | None, command: PolicyCommand, ctx: Context) -> list[Event]:
    state = state or PolicyState()
    if isinstance(command, DraftPolicy):
        return [_draft(state, command, ctx)]
    return [_approve(state, command, ctx)]


def _is_seed(state: PolicyState, version: int, ctx: Context) -> bool:
    return ctx.actor.user_id == SYSTEM.user_id and version == 1 and not state.approved


def _draft(state: PolicyState, command: DraftPolicy, ctx: Context) -> PolicyDrafted:
    if not _is_seed(state, command.version, ctx):
        # V13: the department (staff or its manager) drafts and revises the rule book.
        ctx.require_role(Role.STAFF, Role.MANAGER, action="drafting the rule book", rule="V13")
    highest = max((d.version for d in state.drafts), default=0)
    if command.version != highest + 1:
        raise ValidationFailed.single(
            "version", f"the next version is {highest + 1}, not {command.version}", "M15"
        )
    if not command.compiled_by.strip():
        raise ValidationFailed.single("compiledBy", "name who compiled the version", "V13")
    problems = validate_figures(command.figures)
    if problems:
        raise ValidationFailed(problems)
    return PolicyDrafted(
        version=command.version,
        figures=command.figures,
        notes=command.notes,
        compiled_by=command.compiled_by.strip(),
        drafted_by=ctx.actor.user_id,
        drafted_at=ctx.now,
    )


def _approve(state: PolicyState, command: ApprovePolicy, ctx: Context) -> PolicyApproved:
    seed = _is_seed(state, command.version, ctx)
    if not seed:
        ctx.require_role(Role.GENERAL_MANAGER, action="approving the rule book", rule="V13")
    draft = state.draft(command.version)
    if draft is None:
        raise NotFound(f"no draft of rule book version {command.version}", rule="V13")
    if policy_version(state, command.version) is not None:
        raise InvalidState(f"version {command.version} is already approved", rule="V13")
    if not seed:
        ctx.forbid_self(draft.drafted_by, action="approve", rule="V13")
        # Art. 11: a version takes effect from its promulgation; never retroactively, so the
        # version a past decision ran under stays the one in force on that date.
        if command.effective_from < ctx.today:
            raise ValidationFailed.single(
                "effectiveFrom", "a version cannot take effect in the past", "M15"
            )
    if state.approved:
        latest = state.approved[-1]
        if command.version < latest.version:
            raise InvalidState(
                f"version {command.version} is superseded by approved version {latest.version}",
                rule="M15",
            )
        if command.effective_from <= latest.effective_from:
            raise ValidationFailed.single(
                "effectiveFrom",
                f"must be after {latest.effective_from.isoformat()}, when version "
                f"{latest.version} took effect",
                "M15",
            )
    return PolicyApproved(
        version=command.version,
        effective_from=command.effective_from,
        reviewed_by=command.reviewed_by,
        approved_by=ctx.actor.user_id,
        approved_at=ctx.now,
    )


def evolve(state: PolicyState | None, event: Event) -> PolicyState:
    state = state or PolicyState()
    if isinstance(event, PolicyDrafted):
        draft = PolicyDraft(
            event.version, event.figures, event.notes, event.compiled_by,
            event.drafted_by, event.drafted_at,
        )
        return replace(state, drafts=(*state.drafts, draft))
    if isinstance(event, PolicyApproved):
        d = state.draft(event.version)
        if d is None:
            return state
        version = PolicyVersion(
            version=d.version, figures=d.figures, effective_from=event.effective_from,
            drafted_by=d.drafted_by, approved_by=event.approved_by,
            approved_at=event.approved_at, reviewed_by=event.reviewed_by, notes=d.notes,
        )
        return replace(state, approved=(*state.approved, version))
    return state
