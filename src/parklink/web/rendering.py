"""Rendering shared by every HTML page module (pages, planner, chain explorer): the Jinja2
templates, the page language, the bilingual template helpers, ``render`` and the page
principal. Page modules import from here, never from each other."""

from __future__ import annotations

from importlib import resources
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from parklink import __version__
from parklink.vocab import ROLE_NAMES
from parklink.web.deps import (
    ANONYMOUS,
    CSRF_COOKIE,
    LANG_COOKIE,
    SESSION_TTL_S,
    Principal,
    principal_of,
    session_binding,
    web_state,
)

__all__ = ["error_page", "named", "page_lang", "page_principal", "render", "templates"]

templates = Jinja2Templates(directory=str(resources.files("parklink.web") / "templates"))

def page_lang(request: Request) -> str:
    """'zh' or 'en': the ``lang`` query parameter, else the cookie, else Chinese."""
    q = request.query_params.get("lang")
    if q in ("zh", "en"):
        return q
    c = request.cookies.get(LANG_COOKIE)
    return c if c in ("zh", "en") else "zh"


def _bilingual(lang: str) -> Any:
    def both(zh: Any, en: Any) -> Markup:
        zh_t, en_t = escape(zh if zh is not None else ""), escape(en if en is not None else "")
        first, second = ((zh_t, "zh-Hans"), (en_t, "en")) if lang == "zh" else ((en_t, "en"), (zh_t, "zh-Hans"))
        if not str(second[0]) or str(second[0]) == str(first[0]):
            return Markup(f'<span lang="{first[1]}">{first[0]}</span>')
        return Markup(f'<span lang="{first[1]}">{first[0]}</span> <span class="alt" lang="{second[1]}">{second[0]}</span>')

    return both


def named(table: dict[str, tuple[str, str]]) -> Any:
    """A template function: code → its (zh, en) label in ``table`` (the code itself if unknown)."""
    def name(code: Any) -> tuple[str, str]:
        return table.get(str(code), (str(code), str(code)))

    return name


def _switch_url(request: Request, lang: str) -> str:
    params = dict(request.query_params)
    params["lang"] = "en" if lang == "zh" else "zh"
    return f"{request.url.path}?{urlencode(params)}"


def render(request: Request, name: str, context: dict[str, Any], *, principal: Principal = ANONYMOUS,
           status_code: int = 200) -> HTMLResponse:
    """Render ``name`` with the common context (language, user, CSRF token) and set cookies."""
    lang = page_lang(request)
    state = web_state(request)
    csrf = request.cookies.get(CSRF_COOKIE)
    # only pages with a form need a CSRF token: the login page and pages of logged-in users
    needs_csrf = principal.authenticated or name == "login.html"
    binding = principal.sid or "" if principal.authenticated else session_binding(request)
    new_csrf = needs_csrf and (csrf is None or not state.signer.csrf_ok(csrf, csrf, binding))
    if new_csrf:
        csrf = state.signer.new_csrf(binding)
    ctx = {
        "request": request, "lang": lang, "B": _bilingual(lang), "user": principal, "csrf": csrf,
        "switch_url": _switch_url(request, lang), "version": __version__, "path": request.url.path,
        "role_name": named(ROLE_NAMES), **context,
    }
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    secure = request.url.scheme == "https"
    if new_csrf and csrf:
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=secure, max_age=SESSION_TTL_S)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", secure=secure, max_age=365 * 86400)
    return response


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """An HTML error page (used by the app's exception handlers for page requests)."""
    return render(request, "error.html", {"status": status, "detail": detail}, status_code=status)


def page_principal(request: Request, session: Any) -> Principal:
    """The caller of a page, anonymous when not (validly) logged in."""
    try:
        return principal_of(request, session)
    except HTTPException:
        return ANONYMOUS
