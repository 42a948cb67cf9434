"""The specialist's web desk, served by clinic-central under ``/desk/``: server-rendered pages
(Jinja2) with htmx (vendored in static/, version in its file name, licence beside it) for
partial updates. See central/desk/views.py for the pages, session.py for cookies and CSRF,
data.py for how answers reach the clinic (the sync push)."""

from __future__ import annotations

from aiohttp import web


def install(app: web.Application) -> None:
    """Add the desk's routes to the central application."""
    from central.desk import views

    app.add_routes(views.routes)
