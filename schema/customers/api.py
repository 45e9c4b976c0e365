"""Customers over GraphQL: register, update, tier, status, credit changes (V6), prospects;
query one customer or a cursor page of them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeAlias

import strawberry
from strawberry.types import Info

from events.customers.commands import CustomerCommand
from events.customers.handlers import handle_customer
from events.shared.context import Context
from projections.customers.queries import customer_by_id, customer_page, customer_where
from projections.paging import cursor_values, text_filter
from schema import clock
from schema.common import Connection, connection
from schema.context import KehuContext, ctx_of, require_reader
from schema.customers.inputs import (
    ChangeCustomerStatusInput,
    ChangeCustomerTierInput,
    CustomerFilter,
    PromoteProspectInput,
    RecordCreditChangeInput,
    RegisterCustomerInput,
    UpdateCustomerInput,
)
from schema.customers.types import Customer, CustomerMutationOk
from schema.entity_ids import new_id
from schema.errors import MutationErrors
from schema.mutations import IdempotencyKey, mutate, ok_fields
from schema.positions import Position

RegisterCustomerResult: TypeAlias = Annotated[CustomerMutationOk | MutationErrors,
                                               strawberry.union("RegisterCustomerResult")]
UpdateCustomerResult: TypeAlias = Annotated[CustomerMutationOk | MutationErrors,
                                             strawberry.union("UpdateCustomerResult")]
RecordCreditChangeResult: TypeAlias = Annotated[CustomerMutationOk | MutationErrors,
                                                 strawberry.union("RecordCreditChangeResult")]
ChangeCustomerTierResult: TypeAlias = Annotated[CustomerMutationOk | MutationErrors,
                                                 strawberry.union("ChangeCustomerTierResult")]
PromoteProspectResult: TypeAlias = Annotated[CustomerMutationOk | MutationErrors,
                                              strawberry.union("PromoteProspectResult")]
ChangeCustomerStatusResult: TypeAlias = Annotated[CustomerMutationOk | MutationErrors,
                                                   strawberry.union("ChangeCustomerStatusResult")]

def company_today(info: Info[Any, Any]) -> date:
    settings = ctx_of(info).settings
    return clock.now(settings.clock_file).astimezone(settings.timezone).date()


async def run_customer_command(
    info: Info[Any, Any], key: str | None, make: Callable[[], CustomerCommand]
) -> CustomerMutationOk | MutationErrors:
    async def action(ctx: KehuContext, command_ctx: Context,
                     key: str | None) -> CustomerMutationOk:
        command = make()
        outcome = await handle_customer(ctx.store, command_ctx, command, idempotency_key=key)
        return CustomerMutationOk(**ok_fields(outcome),
                                  customer_id=strawberry.ID(command.customer_id))

    return await mutate(info, key, action)


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(description="Register a customer (status prospect or active).")
    async def register_customer(
        self, info: Info[Any, Any], input: RegisterCustomerInput,
        idempotency_key: IdempotencyKey = None,
    ) -> RegisterCustomerResult:
        actor = ctx_of(info).require_actor()
        return await run_customer_command(info, idempotency_key, lambda: input.to_command(
            new_id(input.id, field="id", actor=actor, key=idempotency_key, kind="customer")))

    @strawberry.mutation(description="Update the profile; nothing is written if nothing changed.")
    async def update_customer(
        self, info: Info[Any, Any], input: UpdateCustomerInput,
        idempotency_key: IdempotencyKey = None,
    ) -> UpdateCustomerResult:
        return await run_customer_command(info, idempotency_key, input.to_command)

    @strawberry.mutation(description="Record a credit change (信用异动) with its cause (V6).")
    async def record_credit_change(
        self, info: Info[Any, Any], input: RecordCreditChangeInput,
        idempotency_key: IdempotencyKey = None,
    ) -> RecordCreditChangeResult:
        return await run_customer_command(info, idempotency_key, input.to_command)

    @strawberry.mutation
    async def change_customer_tier(
        self, info: Info[Any, Any], input: ChangeCustomerTierInput,
        idempotency_key: IdempotencyKey = None,
    ) -> ChangeCustomerTierResult:
        return await run_customer_command(info, idempotency_key, input.to_command)

    @strawberry.mutation(description="A prospect (V6) becomes an active customer.")
    async def promote_prospect(
        self, info: Info[Any, Any], input: PromoteProspectInput,
        idempotency_key: IdempotencyKey = None,
    ) -> PromoteProspectResult:
        return await run_customer_command(info, idempotency_key, input.to_command)

    @strawberry.mutation
    async def change_customer_status(
        self, info: Info[Any, Any], input: ChangeCustomerStatusInput,
        idempotency_key: IdempotencyKey = None,
    ) -> ChangeCustomerStatusResult:
        return await run_customer_command(info, idempotency_key, input.to_command)


@strawberry.type
class CustomerQueries:
    @strawberry.field(description="One customer, or null if there is none with this id.")
    async def customer(self, info: Info[Any, Any], id: strawberry.ID,
                       at_least: Position | None = None) -> Customer | None:
        require_reader(info)
        ctx = ctx_of(info)
        await ctx.read_after(at_least)
        row = await customer_by_id(ctx.pool, str(id), company_today(info))
        return None if row is None else Customer.from_row(row)

    @strawberry.field(description="Customers by organisation name, a cursor page.")
    async def customers(
        self, info: Info[Any, Any], filter: CustomerFilter | None = None,
        first: int | None = None, after: str | None = None, at_least: Position | None = None,
    ) -> Connection[Customer]:
        require_reader(info)
        ctx = ctx_of(info)
        limit = ctx.page_size(first)
        position = cursor_values(after, str, str)
        await ctx.read_after(at_least)
        f = filter or CustomerFilter()
        where = customer_where(
            company_today(info), tier=f.tier, status=f.status, region=f.region,
            name_contains=text_filter(f.name_contains, "filter.nameContains"),
        )
        rows, total = await customer_page(ctx.pool, where, position, limit)
        return connection(rows, limit, total, node=Customer.from_row,  # type: ignore[no-any-return]
                          key=lambda r: (r["organisation_name"], r["customer_id"]))


QUERIES = [CustomerQueries]
MUTATIONS = [CustomerMutations]
SUBSCRIPTIONS: list[type] = []
