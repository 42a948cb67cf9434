"""The central platform: accounts, enrollment, the sync API and a FHIR R4 read API (aiohttp).

SQLite by default (one embedded file), PostgreSQL at scale (several stateless server processes
sharing one database). Depends only on the shared protocol and record modules of clinic_app.
"""

from clinic_app import __version__

__all__ = ["__version__"]
