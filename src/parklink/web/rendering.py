"""Rendering shared by every HTML page module (pages, planner, chain explorer): the Jinja2
templates, the page language, the bilingual template helpers, ``render`` and the page
principal. Page modules import from here, never from each other."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from numbers import Number
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2.ext import Extension
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

_TEMPLATE_DIR = str(resources.files("parklink.web") / "templates")
templates = Jinja2Templates(directory=_TEMPLATE_DIR)
"""The generic environment: ``B`` is called at render time (what :func:`render` gives is
byte-identical: ``tests/web/test_rendering_fold.py``)."""

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


def _remembering(both: Any) -> Any:
    """``both`` with its last 4,096 distinct labels remembered (a page repeats its chain,
    confidence and mode labels many times); arguments that cannot be keys are not kept."""
    remembered = lru_cache(maxsize=4096, typed=True)(both)  # typed: "1" and 1, str and Markup differ

    def label(zh: Any, en: Any) -> Markup:
        try:
            return remembered(zh, en)  # type: ignore[no-any-return]
        except TypeError:  # an unhashable argument
            return both(zh, en)  # type: ignore[no-any-return]

    return label


_BILINGUAL = {"zh": _remembering(_bilingual("zh")), "en": _remembering(_bilingual("en"))}
_LITERAL = r"""(?:"([^"\\]*)"|'([^'\\]*)')"""
_FOLDABLE = re.compile(r"\{\{\s*B\(\s*" + _LITERAL + r"\s*,\s*" + _LITERAL + r"\s*\)\s*\}\}")
_JINJA_SYNTAX = re.compile(r"\{[{%#]|[}%#]\}")


def fold_bilingual_literals(source: str, lang: str) -> str:
    """``source`` with each ``{{ B("中文", "English") }}`` whose two arguments are plain
    string literals replaced by the markup ``B`` gives for them in ``lang``.

    The page's bilingual helper is a pure function of its two strings and the page language,
    so a call on literals is a constant of the language; folding it when the template is
    compiled saves a runtime call, two escapes and a string build per label (a park page has
    about 150 of them). Calls on expressions, with escapes in a literal, with whitespace
    control (``{{-``) or whose markup would contain template syntax are left as they are.
    """
    both = _BILINGUAL[lang]

    def fold(match: re.Match[str]) -> str:
        zh = match.group(1) if match.group(1) is not None else match.group(2)
        en = match.group(3) if match.group(3) is not None else match.group(4)
        markup = str(both(zh, en))
        return match.group(0) if _JINJA_SYNTAX.search(markup) else markup

    return _FOLDABLE.sub(fold, source)


class _FoldBilingual(Extension):
    """Jinja extension: :func:`fold_bilingual_literals` in the environment's ``page_lang``."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return fold_bilingual_literals(source, self.environment.page_lang)  # type: ignore[attr-defined]


def language_environment(lang: str, loader: jinja2.BaseLoader) -> jinja2.Environment:
    """A Jinja environment of the page language ``lang`` (``zh`` or ``en``) whose templates
    have their bilingual literals folded (:func:`fold_bilingual_literals`); autoescaped like
    the generic one; templates are package files, so they are not re-checked on each render."""
    env = jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape(), extensions=[_FoldBilingual],
                             auto_reload=False)
    env.extend(page_lang=lang)
    return env


_TEMPLATES_BY_LANG = {lang: Jinja2Templates(env=language_environment(lang, jinja2.FileSystemLoader(_TEMPLATE_DIR)))
                      for lang in ("zh", "en")}
"""The environments :func:`render` uses: one per page language, with the bilingual labels
on literals folded into the compiled templates (:func:`fold_bilingual_literals`)."""


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
        "request": request, "lang": lang, "B": _BILINGUAL[lang], "user": principal, "csrf": csrf,
        "switch_url": _switch_url(request, lang), "version": __version__, "path": request.url.path,
        "role_name": named(ROLE_NAMES), **_PROVENANCE[lang], **context,
    }
    response = _TEMPLATES_BY_LANG[lang].TemplateResponse(request, name, ctx, status_code=status_code)
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


def _source_parts(text: str | None) -> list[str]:
    """The sources in a ``source_url`` cell: ``;``-separated (`` ; `` too), blanks dropped."""
    if not text:
        return []
    return [s.strip() for s in str(text).replace(" ; ", ";").split(";") if s.strip()]


_NA = Markup('<span class="na">—</span>')


def _provenance_helpers(lang: str) -> dict[str, Any]:
    """The page functions that show a fact and its sources in ``lang``: ``fact_value(v)``
    (``—`` when empty; a (zh, en) pair bilingual; a list joined with ``; ``) and
    ``source_links(pair)`` (each source of ``pair[0]`` a link when it is a URL, shortened
    to 48 characters; "no source" when there is none). Python, not template macros: a park
    page shows about 70 of them."""
    both = _BILINGUAL[lang]
    no_source: Markup = Markup('<span class="na">') + both("无来源", "no source") + Markup("</span>")

    def fact_value(v: Any) -> Markup:
        if v is None or v == "" or v == []:
            return _NA
        if isinstance(v, str | Number):
            return escape(v)
        if len(v) == 2 and isinstance(v[0], str) and isinstance(v[1], str):
            pair: Markup = both(v[0], v[1])
            return pair
        return Markup("; ").join(fact_value(x) for x in v)

    def source_links(pair: Any) -> Markup:
        urls = _source_parts(pair[0])
        if not urls:
            return no_source
        parts = []
        for u in urls:
            if u.startswith("http"):
                short = u if len(u) <= 48 + 5 else u[:45] + "..."  # Jinja's truncate(48, True)
                parts.append(Markup('<a href="{}" rel="noopener noreferrer nofollow">{}</a>').format(u, short))
            else:
                parts.append(escape(u))
        return Markup("<br>").join(parts)

    return {"fact_value": fact_value, "source_links": source_links}


_PROVENANCE = {lang: _provenance_helpers(lang) for lang in ("zh", "en")}
