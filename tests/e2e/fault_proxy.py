"""A tiny HTTP proxy in front of a real central process for poison-isolation tests: a push that
carries a marked record id (or every push, for an outage) is answered 500, or held past the
client's timeout; a push of more changes than allowed is refused 413 as a whole; everything
else is forwarded unchanged to the real central platform."""

from __future__ import annotations

import asyncio
import json
from types import TracebackType

import aiohttp
from aiohttp import web

from tests.support.central_proc import free_port

# aiohttp hands the body over decompressed: it is forwarded as is, without its encoding.
FORWARDED = ("authorization", "content-type", "x-client-version")


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.port = free_port()
        self.poison: set[str] = set()  # a push carrying one of these record ids fails
        self.fail_all = False  # every push fails (an outage of the sync API)
        self.hang: float | None = None  # fail by not answering for this long, not by a 500
        self.max_changes: int | None = None  # a larger push is refused 413 (as a whole)
        self.pushes: list[tuple[list[str], int]] = []  # (record ids, status answered)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def failed_pushes(self) -> int:
        return sum(1 for _ids, status in self.pushes if status >= 500)

    async def __aenter__(self) -> FaultProxy:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self._session = aiohttp.ClientSession(auto_decompress=False)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if request.path.endswith("/sync/push"):
            ids = [str(c.get("record_id")) for c in json.loads(body).get("changes", [])]
            if self.max_changes is not None and len(ids) > self.max_changes:
                self.pushes.append((ids, 413))
                return web.json_response(
                    {"error": {"code": "too_large", "message": "The request is too large."}},
                    status=413,
                )
            if self.fail_all or self.poison & set(ids):
                self.pushes.append((ids, 500))
                if self.hang is not None:
                    await asyncio.sleep(self.hang)
                return web.json_response(
                    {"error": {"code": "internal", "message": "Injected failure."}}, status=500
                )
            self.pushes.append((ids, 200))
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED}
        async with self._session.request(
            request.method, self.upstream + request.path_qs, data=body, headers=headers
        ) as upstream:
            data = await upstream.read()
            out = {
                k: v
                for k, v in upstream.headers.items()
                if k.lower() in ("content-type", "content-encoding")
            }
            return web.Response(status=upstream.status, body=data, headers=out)
