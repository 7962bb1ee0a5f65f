"""Query parameters and helpers shared by the API routers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel

from parklink.web.schemas import ErrorBody

MAX_PAGE_SIZE = 200

PageQ = Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number")]
PageSizeQ = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"rows per page (1–{MAX_PAGE_SIZE})")]
SortQ = Annotated[
    str | None,
    Query(max_length=40, description="column to sort by; prefix with '-' for descending"),
]

#: Error responses documented on every router (the body is :class:`ErrorBody`).
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "not logged in / invalid token"},
    403: {"model": ErrorBody, "description": "role not allowed"},
    404: {"model": ErrorBody, "description": "not found"},
    409: {"model": ErrorBody, "description": "conflict with other records"},
    422: {"model": ErrorBody, "description": "validation failed; `errors` names each field and reason"},
}


def page_body(items: list[dict[str, Any]], total: int, page: int, page_size: int) -> dict[str, Any]:
    """The JSON body of a list endpoint."""
    return {"items": items, "total": total, "page": page, "page_size": page_size}


def dump(body: BaseModel) -> dict[str, Any]:
    """The fields a client actually sent (partial updates keep the others)."""
    return body.model_dump(exclude_unset=True)
