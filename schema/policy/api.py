"""The rule book over GraphQL (M15, V13): draft a version, approve it, read what binds when.

Figures are data: the M5 caps (yuan per person), the M7 drinks share, the M8 accompanying-staff
limits, the M11 paperwork deadline and the V12 follow-up delay. Version 1 is the source rule
book, installed on first start (`install_seed_rule_book`, called by the server's start-up).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeAlias

import asyncpg
import strawberry
from strawberry.types import Info

from events.policy.figures import AccompanyingBracket, CapRule, Share
from events.policy.handlers import handle_policy, install_seed
from events.policy.model import ApprovePolicy, DraftPolicy, PolicyCommand, PolicyFigures
from events.policy.values import CustomerTier, Host, MealType
from events.shared.actors import SYSTEM
from events.shared.context import Context
from events.shared.errors import ValidationFailed
from events.store.codec import from_data
from projections.policies.projection import all_versions, version_in_force
from schema.common import MAX_NAME, MAX_TEXT, MutationOk, fen, yuan
from schema.context import KehuContext, Services, ctx_of
from schema.errors import MutationErrors
from schema.meals import types as meal_types_api  # noqa: F401  (the shared enums)
from schema.meals.inputs import bounded
from schema.mutations import mutate, ok_fields
from schema.policy.calendar import CalendarYearInput, WorkingDayCalendarView, calendar_years
from schema.positions import Position

MAX_ROWS = 100  # cap rows or brackets in one version: far above the source's dozen


@strawberry.type
class PolicyCap:
    tier: CustomerTier
    meal_type: MealType
    host: Host | None = strawberry.field(description="None: whoever hosts.")
    cap: str = strawberry.field(description="Yuan per person per meal; a range's upper end.")
    range_low: str | None


@strawberry.type
class PolicyBracket:
    guests_at_most: int
    accompanying_at_most: int


@strawberry.type
class PolicyFiguresView:
    caps: list[PolicyCap]
    drinks_share: str = strawberry.field(description="M7, as a fraction, e.g. '1/3'.")
    accompanying_at_most_guests: bool
    accompanying_brackets: list[PolicyBracket]
    paperwork_deadline_working_days: int
    follow_up_delay_days: int
    working_day_calendar: WorkingDayCalendarView

    @classmethod
    def of(cls, f: PolicyFigures) -> PolicyFiguresView:
        return cls(
            caps=[PolicyCap(tier=c.tier, meal_type=c.meal_type, host=c.host, cap=yuan(c.cap_fen)
                            or "", range_low=yuan(c.range_low_fen)) for c in f.caps],
            drinks_share=str(f.drinks_share),
            accompanying_at_most_guests=f.accompanying_at_most_guests,
            accompanying_brackets=[PolicyBracket(guests_at_most=b.guests_at_most,
                                                 accompanying_at_most=b.accompanying_at_most)
                                   for b in f.accompanying_brackets],
            paperwork_deadline_working_days=f.paperwork_deadline_working_days,
            follow_up_delay_days=f.follow_up_delay_days,
            working_day_calendar=WorkingDayCalendarView.of(f.calendar),
        )


@strawberry.type(name="PolicyVersion", description="One version of the rule book (M15, V13).")
class PolicyVersionView:
    version: int
    status: str = strawberry.field(description="draft or approved")
    effective_from: date | None
    figures: PolicyFiguresView
    notes: str
    compiled_by: str
    drafted_by: str
    drafted_at: datetime
    reviewed_by: str | None
    approved_by: str | None
    approved_at: datetime | None


def policy_from_row(r: asyncpg.Record) -> PolicyVersionView:
    return PolicyVersionView(
        version=r["version"], status=r["status"], effective_from=r["effective_from"],
        figures=PolicyFiguresView.of(from_data(PolicyFigures, r["figures"])),
        notes=r["notes"], compiled_by=r["compiled_by"], drafted_by=r["drafted_by"],
        drafted_at=r["drafted_at"], reviewed_by=r["reviewed_by"],
        approved_by=r["approved_by"], approved_at=r["approved_at"],
    )


@strawberry.input
class PolicyCapInput:
    tier: CustomerTier
    meal_type: MealType
    cap: str
    host: Host | None = None
    range_low: str | None = None


@strawberry.input
class PolicyBracketInput:
    guests_at_most: int
    accompanying_at_most: int


@strawberry.input
class PolicyFiguresInput:
    caps: list[PolicyCapInput]
    drinks_share_numerator: int
    drinks_share_denominator: int
    accompanying_at_most_guests: bool
    accompanying_brackets: list[PolicyBracketInput]
    paperwork_deadline_working_days: int
    follow_up_delay_days: int

    def to_figures(self) -> PolicyFigures:
        if len(self.caps) > MAX_ROWS or len(self.accompanying_brackets) > MAX_ROWS:
            raise ValidationFailed.single("figures", f"at most {MAX_ROWS} rows", "M15")
        return PolicyFigures(
            caps=tuple(CapRule(c.tier, c.meal_type, c.host, fen(c.cap, "figures.caps.cap") or 0,
                               fen(c.range_low, "figures.caps.rangeLow")) for c in self.caps),
            drinks_share=Share(self.drinks_share_numerator, self.drinks_share_denominator),
            accompanying_at_most_guests=self.accompanying_at_most_guests,
            accompanying_brackets=tuple(AccompanyingBracket(b.guests_at_most,
                                                            b.accompanying_at_most)
                                        for b in self.accompanying_brackets),
            paperwork_deadline_working_days=self.paperwork_deadline_working_days,
            follow_up_delay_days=self.follow_up_delay_days,
        )


@strawberry.input(description="V13: the department drafts the next version.")
class DraftPolicyInput:
    version: int
    figures: PolicyFiguresInput
    compiled_by: str = strawberry.field(description="编制人员: the name on the document.")
    notes: str = ""
    calendar_years: list[CalendarYearInput] | None = strawberry.field(
        default=None, description="M11/V12: years of official holidays and make-up working "
        "days this version adds or replaces; otherwise it keeps the calendar in force.")


@strawberry.input(description="V13: the general manager approves a draft from a date (M15).")
class ApprovePolicyInput:
    version: int
    effective_from: date
    reviewed_by: str | None = None


@strawberry.type
class PolicyMutationOk(MutationOk):
    version: int


DraftPolicyResult: TypeAlias = Annotated[PolicyMutationOk | MutationErrors,
                                          strawberry.union("DraftPolicyResult")]
ApprovePolicyResult: TypeAlias = Annotated[PolicyMutationOk | MutationErrors,
                                            strawberry.union("ApprovePolicyResult")]


async def _run(info: Info[Any, Any], build: Callable[[], PolicyCommand],
               key: str | None) -> PolicyMutationOk | MutationErrors:
    async def action(ctx: KehuContext, command_ctx: Context,
                     key: str | None) -> PolicyMutationOk:
        command = build()
        outcome = await handle_policy(ctx.store, command_ctx, command, idempotency_key=key)
        return PolicyMutationOk(**ok_fields(outcome), version=command.version)

    return await mutate(info, key, action)


@strawberry.type
class PolicyMutations:
    @strawberry.mutation(description="V13: draft the next rule-book version (staff, manager).")
    async def draft_policy(self, info: Info[Any, Any], input: DraftPolicyInput,
                           idempotency_key: str | None = None) -> DraftPolicyResult:
        return await _run(info, lambda: DraftPolicy(
            input.version, input.figures.to_figures(), bounded(input.notes, "notes", MAX_TEXT),
            bounded(input.compiled_by, "compiledBy", MAX_NAME),
            calendar_years(input.calendar_years)), idempotency_key)

    @strawberry.mutation(description="V13/M15: the general manager approves a drafted version; "
                         "it binds meals from effectiveFrom (never retroactively).")
    async def approve_policy(self, info: Info[Any, Any], input: ApprovePolicyInput,
                             idempotency_key: str | None = None) -> ApprovePolicyResult:
        reviewed = input.reviewed_by
        return await _run(info, lambda: ApprovePolicy(
            input.version, input.effective_from,
            bounded(reviewed, "reviewedBy") if reviewed is not None else None), idempotency_key)


@strawberry.type
class PolicyQueries:
    @strawberry.field(description="The version in force on a day (default: today, company "
                      "time zone).")
    async def policy(
        self, info: Info[Any, Any],
        as_of: Annotated[date | None, strawberry.argument(name="asOf")] = None,
        at_least: Position | None = None,
    ) -> PolicyVersionView | None:
        ctx = ctx_of(info)
        day = as_of or ctx.command_context().today
        await ctx.read_after(at_least)
        row = await version_in_force(ctx.pool, day)
        return policy_from_row(row) if row else None

    @strawberry.field(description="Every version, drafts included, in version order.")
    async def policies(self, info: Info[Any, Any],
                       at_least: Position | None = None) -> list[PolicyVersionView]:
        ctx = ctx_of(info)
        ctx.require_actor()
        await ctx.read_after(at_least)
        return [policy_from_row(r) for r in await all_versions(ctx.pool)]


async def install_seed_rule_book(services: Services) -> None:
    """Install the source rule book as version 1, once, whichever process starts first."""
    ctx = Context(actor=SYSTEM, now=datetime.now(UTC), tz=services.settings.timezone,
                  correlation_id="startup:policy-seed")
    await install_seed(services.store, ctx)


QUERIES: list[type] = [PolicyQueries]
MUTATIONS: list[type] = [PolicyMutations]
SUBSCRIPTIONS: list[type] = []
