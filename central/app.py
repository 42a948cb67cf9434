"""Assemble the aiohttp application: settings, database, middlewares and routes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from central import api, fhir_api, schema, signaling
from central.accounts import Passwords
from central.config import Settings
from central.db import Database
from central.references import Base
from central.web import (
    DB_KEY,
    PASSWORDS_KEY,
    SETTINGS_KEY,
    client_version_middleware,
    compression_middleware,
    error_middleware,
)
from clinic_app.sync.protocol import MAX_BODY_BYTES

log = logging.getLogger(__name__)


def build_app(settings: Settings, database: Database | None = None) -> web.Application:
    """The application; opens the database on start-up (creating the schema if needed) unless
    one is given, and closes what it opened on clean-up."""
    app = web.Application(
        client_max_size=MAX_BODY_BYTES,
        middlewares=[error_middleware, compression_middleware, client_version_middleware],
    )
    app[SETTINGS_KEY] = settings
    app[PASSWORDS_KEY] = Passwords(settings.password_hasher)
    Base.parse(settings.public_url)  # a bad public_url fails at start, not per request
    app.add_routes(api.routes)
    app.add_routes(fhir_api.routes)
    signaling.install(app)

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
        yield
        if own:
            await asyncio.get_running_loop().run_in_executor(None, db.close)

    app.cleanup_ctx.append(lifecycle)
    return app
