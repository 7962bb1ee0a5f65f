"""Query parameters and helpers shared by the API routers."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

import orjson
from fastapi import Header, Query
from fastapi.responses import Response
from pydantic import BaseModel

from parklink.web.schemas import ErrorBody

MAX_PAGE_SIZE = 200

PageQ = Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number")]
PageSizeQ = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"rows per page (1–{MAX_PAGE_SIZE})")]
SortQ = Annotated[
    str | None,
    Query(max_length=40, description="column to sort by; prefix with '-' for descending"),
]

IfMatchH = Annotated[
    str | None,
    Header(alias="If-Match", max_length=200,
           description="the row's ETag (its row_version, as returned by GET or the last write): the write "
                       "applies only to that version (412 otherwise); omitted: applied to the current row"),
]

#: Error responses documented on every router (the body is :class:`ErrorBody`).
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "malformed request (e.g. a body that is not valid for its content type)"},
    401: {"model": ErrorBody, "description": "not logged in / invalid token"},
    403: {"model": ErrorBody, "description": "role not allowed"},
    404: {"model": ErrorBody, "description": "not found"},
    405: {"model": ErrorBody, "description": "method not allowed on this path (the `Allow` header lists the allowed ones)"},
    409: {"model": ErrorBody, "description": "conflict with other records, or the row changed while writing"},
    412: {"model": ErrorBody, "description": "If-Match names another version than the stored one"},
    422: {"model": ErrorBody, "description": "validation failed; `errors` names each field and reason"},
}


def page_body(items: list[dict[str, Any]], total: int, page: int, page_size: int) -> dict[str, Any]:
    """The JSON body of a list endpoint."""
    return {"items": items, "total": total, "page": page, "page_size": page_size}


def dump(body: BaseModel) -> dict[str, Any]:
    """The fields a client actually sent (partial updates keep the others)."""
    return body.model_dump(exclude_unset=True)


def _default(value: Any) -> Any:
    """orjson fallback for values it does not encode natively (numpy scalars, Decimal)."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"cannot encode {type(value).__name__} as JSON") from None
    return None if math.isnan(number) else number


def json_bytes(content: Any) -> bytes:
    """``content`` as compact UTF-8 JSON, encoded like the pydantic response models do
    (dates ISO 8601, NaN as ``null``, non-ASCII kept), with orjson (no per-row validation)."""
    return orjson.dumps(content, default=_default)


class JSONBytes(Response):
    """A JSON response whose body is already serialised (see :func:`json_bytes`).

    Endpoints that return it keep their ``response_model`` for the OpenAPI schema; the
    tests (``tests/web/test_web_cache.py``) validate these bytes against that model.
    """

    media_type = "application/json"


def page_response(items: list[dict[str, Any]], total: int, page: int, page_size: int) -> JSONBytes:
    """The serialised body of a list endpoint (the shape of :func:`page_body`)."""
    return JSONBytes(json_bytes(page_body(items, total, page, page_size)))


def row_etag(row: dict[str, Any]) -> dict[str, str]:
    """The ``ETag`` header of a registry row: its ``row_version`` (empty for other rows)."""
    version = row.get("row_version")
    return {"ETag": f'"{int(version)}"'} if version is not None else {}


def row_response(row: dict[str, Any]) -> JSONBytes:
    """The serialised body of a detail endpoint, with the row's version as its ``ETag``."""
    return JSONBytes(json_bytes(row), headers=row_etag(row))


def written_response(row: dict[str, Any], status_code: int = 200) -> JSONBytes:
    """The body of a write endpoint: the stored row, with its new version as ``ETag``."""
    return JSONBytes(json_bytes(row), status_code=status_code, headers=row_etag(row))
