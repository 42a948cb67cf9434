"""Assemble the aiohttp application (settings, database, middlewares, routes, connection
limits) and run it: :func:`run_app` serves it through :class:`central.web.CentralRunner`, whose
connections answer even what aiohttp's parser refuses with a JSON error."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from central import api, attachments, desk, fhir_api, schema, signaling
from central.accounts import Passwords
from central.config import Settings
from central.db import Database
from central.references import Base
from central.web import (
    DB_KEY,
    PASSWORDS_KEY,
    SETTINGS_KEY,
    CentralRunner,
    client_version_middleware,
    compression_middleware,
    error_middleware,
    handler_args,
)

log = logging.getLogger(__name__)


def build_app(settings: Settings, database: Database | None = None) -> web.Application:
    """The application; opens the database on start-up (creating the schema if needed) unless
    one is given, and closes what it opened on clean-up."""
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        handler_args=handler_args(settings),
        middlewares=[error_middleware, compression_middleware, client_version_middleware],
    )
    app[SETTINGS_KEY] = settings
    app[PASSWORDS_KEY] = Passwords(settings.password_hasher)
    Base.parse(settings.public_url)  # a bad public_url fails at start, not per request
    app.add_routes(api.routes)
    app.add_routes(fhir_api.routes)
    desk.install(app)  # the specialist's web desk, /desk/

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        own = database is None
        db = database or Database(settings.db_url, pool_size=settings.pool_size)
        try:
            await asyncio.get_running_loop().run_in_executor(None, schema.ensure, db)
        except BaseException:
            if own:
                db.close()
            raise
        app[DB_KEY] = db
        log.info("database ready: %s", db.url.describe())
        chores = asyncio.get_running_loop().create_task(housekeeping(db, settings))
        try:
            yield
        finally:
            chores.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await chores
        if own:
            await asyncio.get_running_loop().run_in_executor(None, db.close)

    app.cleanup_ctx.append(lifecycle)
    signaling.install(app)  # its call hub starts after the database, stops before it
    return app


async def housekeeping(db: Database, settings: Settings) -> None:
    """Periodic chores of one server process (several may share a database: each chore is
    idempotent): drop upload slots idle for longer than ``settings.upload_ttl``. Runs once at
    start, then every ``settings.housekeeping_interval`` seconds; a failure is logged (no
    values) and tried again next time."""
    while True:
        try:
            while True:  # in batches, each its own short write transaction
                reaped = await db.write(
                    lambda conn: attachments.reap_abandoned(conn, settings.upload_ttl),
                    seq_lock=False,
                )
                if reaped:
                    log.info("housekeeping: dropped %d abandoned uploads", reaped)
                if reaped < attachments.REAP_BATCH:
                    break
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a database hiccup: try again next round
            log.warning("housekeeping failed (%s); trying again later", type(exc).__name__)
        await asyncio.sleep(settings.housekeeping_interval)


def run_app(
    app: web.Application,
    *,
    host: str,
    port: int,
    ssl_context: ssl.SSLContext | None = None,
    on_ready: Callable[[], None] = lambda: None,
    shutdown_timeout: float = 10.0,
) -> None:
    """Serve ``app`` until SIGINT/SIGTERM (what ``web.run_app`` does, through CentralRunner);
    ``on_ready`` runs once the port listens. OSError if it cannot listen."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    async def serve() -> None:
        runner = CentralRunner(app, handle_signals=True, shutdown_timeout=shutdown_timeout)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port, ssl_context=ssl_context).start()
            on_ready()
            while True:
                await asyncio.sleep(3600)
        finally:
            await runner.cleanup()

    task = loop.create_task(serve())
    try:
        loop.run_until_complete(task)
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, web.GracefulExit, KeyboardInterrupt):
            loop.run_until_complete(task)
        rest = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in rest:
            t.cancel()
        if rest:
            loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        asyncio.set_event_loop(None)
        loop.close()
