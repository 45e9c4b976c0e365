"""The matrix's rule-book mutations (V13, M15) run on a server with a database of its own:
approving a version changes the rule book every meal decision reads, and the session database's
other tests expect version 1 alone (as tests/meals/test_policy_versions_api.py does too)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from events import policy
from events.actors import Actor, Role
from events.db import create_pool
from events.migrations.run import upgrade
from events.policy import DraftPolicy, PolicyState
from events.policy_figures import SEED_FIGURES
from events.policy_handlers import handle_policy, load_policy
from events.store import EventStore
from tests.live import run_server
from tests.meals.flows import person
from tests.meals.test_policy_versions_api import figures_input
from tests.security.matrix_setup import Case, Env, Setup, ctx, today


@asynccontextmanager
async def own_server(server_dsn: str, tmp: Path) -> AsyncIterator[Env]:
    name = f"kehu_matrix_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(server_dsn)._replace(path="/" + name))
    try:
        await upgrade(url)
        pool = await create_pool(url)
        try:
            with run_server(url, tmp) as server:
                yield Env(EventStore(pool), server)
        finally:
            await pool.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _state(env: Env) -> PolicyState:
    return await load_policy(env.store) or PolicyState()


def _next_version(state: PolicyState) -> int:
    return max((d.version for d in state.drafts), default=0) + 1


async def draft_case(env: Env, me: Actor) -> Case:
    version = _next_version(await _state(env))
    # Version 1's figures: a new version that changes nothing but its number.
    return Case({"version": version, "figures": figures_input("100.00"),
                 "compiledBy": "客户服务部"}, policy.STREAM_ID)


async def approve_case(env: Env, me: Actor) -> Case:
    state = await _state(env)
    version = _next_version(state)
    # Drafted by the department, so a general manager caller never approves their own draft.
    await handle_policy(env.store, ctx(person(Role.STAFF)),
                        DraftPolicy(version, SEED_FIGURES, "", "客户服务部"))
    # Each approval takes effect strictly after the latest one (M15), never in the past.
    after = max((v.effective_from for v in state.approved), default=today())
    effective = max(today(), after + timedelta(days=1))
    return Case({"version": version, "effectiveFrom": effective.isoformat(),
                 "reviewedBy": "Sun"}, policy.STREAM_ID)


POLICY_SETUPS: dict[str, Setup] = {"draftPolicy": draft_case, "approvePolicy": approve_case}
