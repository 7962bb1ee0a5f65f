"""CLI tables at 80 and 120 columns: numbers whole, names wrapped or shortened (with the full
names named in the caption), every number of a command's JSON output in its table."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from parklink import console as console_mod
from parklink.cli import app
from parklink.console import frame_table, plan_widths
from parklink.settings import get_settings

runner = CliRunner()
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def render(table: Any, width: int) -> str:
    out = Console(width=width, file=io.StringIO(), color_system=None, legacy_windows=False)
    out.print(table)
    return out.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def tokens(text: str) -> list[float]:
    return [float(t.replace(",", "")) for t in NUMBER.findall(text)]


def shown(value: float, text_tokens: list[float]) -> bool:
    """True when ``value`` appears in the output at some precision (0–4 decimals)."""
    return any(any(abs(t - round(value, d)) < 10 ** -(d + 2) for d in range(5)) for t in text_tokens)


def wide_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "park_id": ["cq-liangjiang-yufu", "sc-yibin-sanjiang-new-area"],
        "name_zh": ["重庆两江新区鱼复工业开发区", "四川宜宾三江新区"],
        "name_en": ["Chongqing Liangjiang New Area Yufu Industrial Development Zone", "Sichuan Yibin Sanjiang New Area"],
        "output_cny": [122_456_789.5, 98_765.4321],
        "score": [0.797293, 0.638],
        "firms": [12345, 7],
        "share": [0.1234, 0.9],
        "note": ["a fairly long note that has to wrap somewhere in a narrow terminal", "short"],
        "time_h": [1.25, 13.5],
        "rank": [1, 2],
    })


@pytest.mark.parametrize("width", [80, 120])
def test_numbers_whole_lines_within_width(width: int) -> None:
    text = render(frame_table(wide_frame(), "T", width=width), width)
    assert all(len(line) <= width for line in text.splitlines())
    assert "…" not in text
    for number in ("122,456,790", "98,765.432", "0.797", "12345", "0.123", "13.5"):
        assert number in text, number


def test_names_shortened_at_80_and_bilingual_at_120() -> None:
    narrow = render(frame_table(wide_frame(), "T", width=80), 80)
    assert "重庆两江" in narrow and "四川宜宾" in narrow
    assert "Yufu" not in narrow
    assert "--wide / --json" in narrow  # says where the full names are
    roomy = render(frame_table(wide_frame().drop(columns=["note"]), "T", width=120), 120)
    assert "Yufu" in roomy and "重庆两江新区" in roomy


def test_plan_widths_by_hand() -> None:
    # two numbers (5 and 9 wide) and a 30-cell text column at 40 cells:
    # overhead 3 × 2 = 6, numbers 14, text gets the remaining 20
    widths, keep = plan_widths(["a", "b", "text"], [["12345", "1,234,567", "x" * 30]], [True, True, False], 40)
    assert keep == [0, 1, 2] and widths == [5, 9, 20]
    # at 20 cells the text column (after the first two) goes before any number would be cut
    widths, keep = plan_widths(["a", "b", "text", "n"], [["1", "2", "x" * 30, "123456"]],
                               [True, True, False, True], 20)
    assert keep == [0, 1, 3] and widths == [1, 1, 6]


# ---------------------------------------------------------------------------- commands
@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An empty data dir: the commands read the embedded dataset (the inputs fallback)."""
    root = tmp_path_factory.mktemp("cli80")
    mp = pytest.MonkeyPatch()
    mp.setenv("PARKLINK_DATA_DIR", str(root))
    mp.delenv("PARKLINK_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield root
    mp.undo()
    get_settings.cache_clear()


def run(args: list[str], width: int, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(console_mod.console, "width", width)
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = result.output
    assert not re.search(r"\d…|…\d", text), "a number is cut"
    return text


@pytest.mark.parametrize("width", [80, 120])
def test_evaluate_route_designate_tables(data_dir: Path, width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    out = data_dir / f"ev{width}.json"
    text = run(["evaluate", "--json", str(out)], width, monkeypatch)
    toks = tokens(text)
    parks = json.loads(out.read_text(encoding="utf-8"))["parks"]
    ranked = [p for p in parks if p.get("rank") is not None][:20]
    assert ranked and all(shown(p["score"], toks) for p in ranked)
    assert all(len(line) <= width for line in text.splitlines())

    out = data_dir / f"route{width}.json"
    text = run(["route", "sc-chengdu-railport-cbz", "cq-yongchuan-cbz", "--json", str(out)], width, monkeypatch)
    toks = tokens(text)
    legs = json.loads(out.read_text(encoding="utf-8"))["legs"]
    for leg in legs:
        for key in ("km", "time_h", "money_cny_per_t", "gc_cny_per_t"):
            assert shown(float(leg[key]), toks), (key, leg[key])

    out = data_dir / f"des{width}.json"
    text = run(["designate", "--json", str(out)], width, monkeypatch)
    summary = json.loads(out.read_text(encoding="utf-8"))
    toks = tokens(text)
    assert shown(summary["objective"], toks)
    assert all(shown(d["year"], toks) for d in summary["designated"])
    flat = text.replace("\n", "").replace(" ", "")
    assert all(d["park_id"].replace("-", "")[:10] in flat.replace("-", "") for d in summary["designated"])


@pytest.mark.slow
@pytest.mark.parametrize("width", [80, 120])
def test_chains_access_sites_tables(data_dir: Path, width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    if not (data_dir / "firms").exists():  # the chain diagnosis needs the (synthetic) firm dataset
        assert runner.invoke(app, ["db", "init"]).exit_code == 0
    for args in (["chains", "designation:b1-rongchang-longchang"], ["access"], ["sites"]):
        text = run(args, width, monkeypatch)
        assert all(len(line) <= width for line in text.splitlines()), args


def test_wide_layout_keeps_every_column_and_both_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console_mod.console, "width", console_mod.WIDE_WIDTH)
    text = render(frame_table(wide_frame(), "T"), console_mod.WIDE_WIDTH)
    assert "Yufu" in text and "note" in text and "columns not shown" not in text
    assert "Chongqing Liangjiang New Area Yufu Industrial Development Zone" in text  # not wrapped
