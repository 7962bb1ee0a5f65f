"""Page rendering shortcuts give the bytes the plain templates gave: the bilingual literals
folded at compile time, the Python provenance helpers (``fact_value``, ``source_links``) that
replaced the park page's template macros, and the evaluation table's ``eval_cells``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest
from fastapi.templating import Jinja2Templates
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from parklink.web import rendering
from parklink.web.pages import eval_cells
from parklink.web.rendering import (
    _BILINGUAL,
    _PROVENANCE,
    fold_bilingual_literals,
    language_environment,
)

from .conftest import token_headers

#: The park page's macros before they became Python (the independent expectation).
OLD_MACROS = """\
{% macro value(v) -%}
{%- if v is none or v == '' or v == [] -%}<span class="na">—</span>
{%- elif v is string or v is number -%}{{ v }}
{%- elif v|length == 2 and v[0] is string and v[1] is string -%}{{ B(v[0], v[1]) }}
{%- else -%}{% for x in v %}{{ value(x) }}{% if not loop.last %}; {% endif %}{% endfor %}
{%- endif -%}
{%- endmacro %}
{% macro source(pair) -%}
{%- set urls = sources(pair[0]) -%}
{%- if urls -%}{% for u in urls %}{% if u.startswith('http') %}<a href="{{ u }}" rel="noopener noreferrer nofollow">\
{{ u|truncate(48, True) }}</a>{% else %}{{ u }}{% endif %}{% if not loop.last %}<br>{% endif %}{% endfor %}
{%- else -%}<span class="na">{{ B("无来源", "no source") }}</span>{%- endif -%}
{%- endmacro %}
"""
OLD_CELLS = """{% for k in ["value", "normalised", "weight", "weighted", "ideal", "anti_ideal"] %}\
<td class="num" data-key="{{ k }}" {% if c[k] is not none %}data-value="{{ c[k] }}"{% endif %}>\
{{ '%.4g'|format(c[k]) if c[k] is not none else '—' }}</td>{% endfor %}"""
TEMPLATES = Path(rendering._TEMPLATE_DIR)


def _plain(source: str) -> jinja2.Template:
    return jinja2.Environment(autoescape=True).from_string(source)


def _old_sources(text: str | None) -> list[str]:
    if not text:
        return []
    return [s.strip() for s in str(text).replace(" ; ", ";").split(";") if s.strip()]


# text a template literal can hold: no quote of its kind, no backslash (those are not folded)
literal = st.text(st.characters(blacklist_characters='"\\', blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=200, deadline=None)
@given(zh=literal, en=literal, lang=st.sampled_from(["zh", "en"]))
def test_folded_literal_renders_like_the_runtime_call(zh: str, en: str, lang: str) -> None:
    source = f'<p>{{{{ B("{zh}", "{en}") }}}}|{{{{ B( "{zh}" ,"{en}" ) }}}}</p>'
    expected = _plain(source).render(B=_BILINGUAL[lang])
    env = language_environment(lang, jinja2.DictLoader({"t.html": source}))
    assert env.get_template("t.html").render(B=_BILINGUAL[lang]) == expected


def test_what_is_folded_and_what_is_not() -> None:
    assert fold_bilingual_literals('{{ B("园区", "Parks") }}', "zh") == (
        '<span lang="zh-Hans">园区</span> <span class="alt" lang="en">Parks</span>')
    assert fold_bilingual_literals("{{ B('园区', 'Parks') }}", "en") == (
        '<span lang="en">Parks</span> <span class="alt" lang="zh-Hans">园区</span>')
    assert fold_bilingual_literals('{{ B("a<b", "a<b") }}', "en") == '<span lang="en">a&lt;b</span>'
    kept = ['{{ B(x, "Parks") }}', '{{- B("a", "b") }}', '{{ B("a\\n", "b") }}', '{{ B("{{", "b") }}',
            '{{ B("a", "b") if x else "" }}', '{{ B("%d"|format(n), "b") }}']
    for source in kept:
        assert fold_bilingual_literals(source, "zh") == source


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_template_compiles_folded(lang: str) -> None:
    env = language_environment(lang, jinja2.FileSystemLoader(str(TEMPLATES)))
    names = env.list_templates(extensions=["html"])
    assert len(names) > 20
    for name in names:
        env.get_template(name)  # a broken fold would be a syntax error here
    base = (TEMPLATES / "base.html").read_text(encoding="utf-8")
    assert fold_bilingual_literals(base, lang).count("B(") <= 1  # all but the role label folded


values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.just("") | st.text(max_size=8) | st.integers(-5, 10**6) | st.booleans()
    | st.floats(allow_nan=False, width=32) | st.tuples(st.text(max_size=6), st.text(max_size=6)),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=6,
)
_source_parts = st.lists(st.one_of(st.text(alphabet="ab<&\"' ", max_size=6),
                                   st.text(alphabet="abc/.&<?=\"", max_size=70).map(lambda s: "https://" + s)),
                         max_size=3)
source_cells = st.one_of(
    st.none(), st.just(""),
    st.tuples(_source_parts, st.sampled_from([";", " ; ", "; "])).map(lambda ps: ps[1].join(ps[0])),
    st.sampled_from(["http://a.gov.cn ; 内部文件", " ; ", "https://" + "x" * 60, "https://" + "y" * 45 + "z" * 8]),
)


@settings(max_examples=300, deadline=None)
@given(v=values, pair=st.tuples(source_cells, st.sampled_from(["confirmed", None])),
       lang=st.sampled_from(["zh", "en"]))
def test_provenance_helpers_give_what_the_macros_gave(v: Any, pair: tuple[Any, Any], lang: str) -> None:
    old = _plain(OLD_MACROS + "@start@{{ value(v) }}|{{ source(pair) }}")
    # the macro definitions leave blank lines before the marker
    expected = old.render(v=v, pair=pair, B=_BILINGUAL[lang], sources=_old_sources).partition("@start@")[2]
    helpers = _PROVENANCE[lang]
    assert f"{helpers['fact_value'](v)}|{helpers['source_links'](pair)}" == expected


@settings(max_examples=200, deadline=None)
@given(row=st.fixed_dictionaries({k: st.none() | st.floats(allow_nan=False) | st.integers(-10**9, 10**9)
                                  for k in ["value", "normalised", "weight", "weighted", "ideal", "anti_ideal"]}))
def test_eval_cells_give_what_the_template_loop_gave(row: dict[str, Any]) -> None:
    assert str(eval_cells(row)) == _plain(OLD_CELLS).render(c=row)


PAGES = ["/", "/parks", "/parks/sc-a", "/parks/cq-b", "/map", "/chains", "/planner", "/logistics",
         "/coconstruction/parks-in-park", "/promotion", "/promotion/plans", "/login", "/sme"]


def _clear(client: TestClient) -> None:
    from parklink.web.cache import response_cache

    app: Any = client.app
    cache = response_cache(app)
    if cache is not None:
        cache.clear()
    app.state.web.cache.clear()


def test_pages_are_byte_identical_to_the_unfolded_templates(client: TestClient,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    plain = Jinja2Templates(env=jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                                                   autoescape=jinja2.select_autoescape()))
    office = token_headers(client, "office")  # a logged-in page: edit form, CSRF token, history authors
    cases = [(lang, path, {}) for lang in ("zh", "en") for path in PAGES]
    cases += [(lang, path, office) for lang in ("zh", "en") for path in ("/parks/sc-a", "/promotion")]
    for lang, path, headers in cases:
        url = f"{path}?lang={lang}"
        client.get(url, headers=headers)  # warm: a page that starts a background job shows it next time
        _clear(client)
        folded = client.get(url, headers=headers)
        with monkeypatch.context() as mp:
            mp.setattr(rendering, "_TEMPLATES_BY_LANG", {"zh": plain, "en": plain})
            _clear(client)
            unfolded = client.get(url, headers=headers)
        assert folded.status_code == unfolded.status_code == 200, (path, folded.status_code)
        assert folded.content == unfolded.content, (path, lang, bool(headers))
        if headers and path == "/parks/sc-a":
            assert b'action="/parks/sc-a/edit"' in folded.content  # the office's page, with its form


def test_remembered_labels_keep_types_apart() -> None:
    both = _BILINGUAL["en"]
    from markupsafe import Markup

    assert both("a<b", "x") == '<span lang="en">x</span> <span class="alt" lang="zh-Hans">a&lt;b</span>'
    assert both(Markup("a<b"), "x") == '<span lang="en">x</span> <span class="alt" lang="zh-Hans">a<b</span>'
    assert both(1, 1) == '<span lang="en">1</span>'
    assert both(1, True) == '<span lang="en">True</span> <span class="alt" lang="zh-Hans">1</span>'
    assert both(1, 1.0) == '<span lang="en">1.0</span> <span class="alt" lang="zh-Hans">1</span>'
    assert both(["a"], "b") == '<span lang="en">b</span> <span class="alt" lang="zh-Hans">[&#39;a&#39;]</span>'
