"""The web application and API (FastAPI): ``create_app`` builds it, ``parklink serve`` runs it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["create_app"]


def create_app(database_url: str | None = None, *, warm: bool = False) -> FastAPI:
    """The parklink FastAPI application on ``database_url`` (see :mod:`parklink.web.app`;
    ``warm``: :mod:`parklink.web.warmup` at start-up, for server processes)."""
    from parklink.web.app import create_app as _create

    return _create(database_url, warm=warm)

