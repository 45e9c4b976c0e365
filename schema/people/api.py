"""The people directory (four eyes, M11/M12): admin_office registers and deactivates people;
every signed-in role may look them up. Ids compare after NFKC normalisation and case folding."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeAlias

import asyncpg
import strawberry
from strawberry.types import Info

from events.people.commands import DeactivatePerson, RecordContact, RegisterPerson
from events.people.handlers import handle_person
from events.shared.actors import Role
from events.shared.context import Context
from projections.people import projection as people_view
from schema.common import MAX_NAME, MAX_TEXT, MutationOk
from schema.context import KehuContext, ctx_of
from schema.errors import MutationErrors
from schema.meals.inputs import bounded
from schema.mutations import IdempotencyKey, mutate, ok_fields
from schema.positions import Position

strawberry.enum(Role, description="A role of the roles table (docs/rules.md).")


@strawberry.type(description="A person the rules can name: who asked for a meal, who approved.")
class Person:
    user_id: str = strawberry.field(description="The id their sign-in token carries.")
    name: str
    role: Role
    active: bool
    registered_by: str
    registered_at: datetime
    deactivated_at: datetime | None
    email: str | None = strawberry.field(description="Where reminders are emailed, if known.")
    language: str | None = strawberry.field(description="The language of their reminders: en "
                                            "or zh; null: both.")


def person_from_row(r: asyncpg.Record) -> Person:
    return Person(user_id=r["user_id"], name=r["name"], role=Role(r["role"]),
                  active=r["active"], registered_by=r["registered_by"],
                  registered_at=r["registered_at"], deactivated_at=r["deactivated_at"],
                  email=r["email"], language=r["language"])


@strawberry.type
class PersonMutationOk(MutationOk):
    user_id: str
    active: bool


RegisterPersonResult: TypeAlias = Annotated[PersonMutationOk | MutationErrors,
                                             strawberry.union("RegisterPersonResult")]
DeactivatePersonResult: TypeAlias = Annotated[PersonMutationOk | MutationErrors,
                                               strawberry.union("DeactivatePersonResult")]


@strawberry.input
class RegisterPersonInput:
    user_id: str
    name: str
    role: Role


RecordPersonContactResult: TypeAlias = Annotated[PersonMutationOk | MutationErrors,
                                                  strawberry.union("RecordPersonContactResult")]


@strawberry.input(description="Where a person's reminders go.")
class RecordPersonContactInput:
    user_id: str
    email: str | None = strawberry.field(
        default=None, description="A plain email address (letters, digits, . _ % + - and one "
        "@); null: no email, reminders stay in the app.")
    language: str | None = strawberry.field(
        default=None, description="en or zh; null: reminders in both.")


@strawberry.input
class DeactivatePersonInput:
    user_id: str
    reason: str


@strawberry.type
class PeopleMutations:
    @strawberry.mutation(description="admin_office registers a person (user id, name, role).")
    async def register_person(self, info: Info[Any, Any], input: RegisterPersonInput,
                              idempotency_key: IdempotencyKey = None) -> RegisterPersonResult:
        async def action(ctx: KehuContext, command_ctx: Context,
                         key: str | None) -> PersonMutationOk:
            command = RegisterPerson(bounded(input.user_id, "userId", MAX_NAME),
                                     bounded(input.name, "name", MAX_NAME), input.role)
            outcome = await handle_person(ctx.store, command_ctx, command, idempotency_key=key)
            return PersonMutationOk(**ok_fields(outcome), user_id=command.user_id.strip(),
                                    active=True)

        return await mutate(info, idempotency_key, action)

    @strawberry.mutation(description="admin_office deactivates a person, with a reason; their "
                         "name can no longer be given in a verbal approval (M11).")
    async def deactivate_person(self, info: Info[Any, Any], input: DeactivatePersonInput,
                                idempotency_key: IdempotencyKey = None
                                ) -> DeactivatePersonResult:
        async def action(ctx: KehuContext, command_ctx: Context,
                         key: str | None) -> PersonMutationOk:
            command = DeactivatePerson(bounded(input.user_id, "userId", MAX_NAME),
                                       bounded(input.reason, "reason", MAX_TEXT))
            outcome = await handle_person(ctx.store, command_ctx, command, idempotency_key=key)
            return PersonMutationOk(**ok_fields(outcome), user_id=command.user_id,
                                    active=False)

        return await mutate(info, idempotency_key, action)

    @strawberry.mutation(description="admin_office records a person's email address and "
                         "language, where their reminders go.")
    async def record_person_contact(self, info: Info[Any, Any], input: RecordPersonContactInput,
                                    idempotency_key: IdempotencyKey = None
                                    ) -> RecordPersonContactResult:
        async def action(ctx: KehuContext, command_ctx: Context,
                         key: str | None) -> PersonMutationOk:
            email = bounded(input.email, "email", MAX_NAME) if input.email is not None else None
            language = (bounded(input.language, "language", MAX_NAME)
                        if input.language is not None else None)
            command = RecordContact(bounded(input.user_id, "userId", MAX_NAME), email, language)
            outcome = await handle_person(ctx.store, command_ctx, command, idempotency_key=key)
            active = outcome.state.active if outcome.state else False
            return PersonMutationOk(**ok_fields(outcome), user_id=command.user_id.strip(),
                                    active=active)

        return await mutate(info, idempotency_key, action)


@strawberry.type
class PeopleQueries:
    @strawberry.field(description="One person by user id (any spelling: NFKC, case folded).")
    async def person(self, info: Info[Any, Any], user_id: str,
                     at_least: Position | None = None) -> Person | None:
        ctx = ctx_of(info)
        ctx.require_actor()
        await ctx.read_after(at_least)
        row = await people_view.person(ctx.pool, user_id[:MAX_NAME])
        return person_from_row(row) if row is not None else None

    @strawberry.field(description="The people directory, by user id.")
    async def people(self, info: Info[Any, Any], active_only: bool = True,
                     first: int | None = None, at_least: Position | None = None) -> list[Person]:
        ctx = ctx_of(info)
        ctx.require_actor()
        await ctx.read_after(at_least)
        rows = await people_view.people(ctx.pool, active_only=active_only,
                                        limit=ctx.page_size(first))
        return [person_from_row(r) for r in rows]


QUERIES: list[type] = [PeopleQueries]
MUTATIONS: list[type] = [PeopleMutations]
SUBSCRIPTIONS: list[type] = []
