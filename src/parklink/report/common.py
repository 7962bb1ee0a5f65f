"""Shared pieces of the report content: names, the analyses every report reuses, headers.

The analyses are the same runs the CLI and the plan call (:mod:`parklink.runs`, the chain
engine, the accessibility measures) with their default configurations, computed at most
once per :class:`~parklink.report.data.ReportInputs` (several briefs share one evaluation,
one chain diagnosis of every park and one accessibility table).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from parklink.report.doc import Facts, Table
from parklink.vocab import CHAIN_NAMES, PROVINCE_NAMES, label

if TYPE_CHECKING:
    from parklink.chains.data import ChainData
    from parklink.chains.diagnosis import ChainDiagnosis
    from parklink.report.data import ReportConfig, ReportInputs
    from parklink.runs import EvaluationRun

__all__ = ["accessibility_table", "chain_data", "chain_label", "diagnosis", "evaluation", "header_facts", "park_names", "table"]

SYNTHETIC_NOTE = ("合成数据，仅验证方法，不作为事实", "synthetic data: validates the method only, not a finding")


def share_text(value: float | None, digits: int = 1) -> str:
    """A share as a percentage, ``—`` when missing."""
    return "—" if value is None else f"{value:.{digits}%}"


def park_names(ri: ReportInputs) -> dict[str, tuple[str, str]]:
    """park_id → (name_zh, name_en)."""
    p = ri.inputs.frame("parks")
    return {str(i): (str(z), str(e)) for i, z, e in zip(p["park_id"], p["name_zh"], p["name_en"], strict=True)}


def chain_label(code: str, lang: str | None = None) -> str:
    """The chain's bilingual label from the vocabulary."""
    return label(CHAIN_NAMES, code, lang)


def province_label(code: str, lang: str | None = None) -> str:
    """The province's label from the vocabulary."""
    return label(PROVINCE_NAMES, code, lang)


def _memo(ri: ReportInputs, key: Any, compute: Any) -> Any:
    return ri.inputs._once(("report", key), compute)


def evaluation(ri: ReportInputs) -> EvaluationRun | None:
    """The default park evaluation (:func:`parklink.runs.evaluate`), None with < 2 parks."""
    from parklink.configs import EvaluationConfig
    from parklink.errors import ValidationError
    from parklink.runs import evaluate

    def compute() -> EvaluationRun | None:
        try:
            return evaluate(ri.inputs, EvaluationConfig())
        except ValidationError:
            return None

    result: EvaluationRun | None = _memo(ri, "evaluation", compute)
    return result


def diagnosis(ri: ReportInputs, scope_ids: Sequence[str], *, year: int | None = None,
              top_n: int = 3) -> ChainDiagnosis | None:
    """One chain diagnosis of the given scopes (``park:X``, ``designation:Y``) for ``year``
    (default: latest), or None without a firm dataset; memoised on the bundle. ``top_n=0``
    (the bulletin's trends) ranks no target, so the learned target model is not fitted;
    otherwise it comes from its cache (:mod:`parklink.chains.target_cache`)."""
    from parklink.chains import diagnose, resolve_scope

    inputs = ri.inputs
    if inputs.firms is None or not inputs.firms.exists():
        return None

    def compute() -> ChainDiagnosis:
        frames = inputs.scope_frames()
        scopes = _memo(ri, ("scopes", tuple(scope_ids)), lambda: [resolve_scope(s, frames) for s in scope_ids])
        # no report shows the leaders' replacement suppliers: not computed
        return diagnose(chain_data(ri), scopes, year=year, top_n=top_n, replacement_n=0)

    result: ChainDiagnosis = _memo(ri, ("diagnosis", tuple(scope_ids), year, top_n), compute)
    return result


def chain_data(ri: ReportInputs) -> ChainData:
    """The firm dataset opened for the chain engine, once per report inputs: one DuckDB
    connection and one data fingerprint for every diagnosis of the report (memoised on the
    report inputs, not on the bundle, so no connection is shared between web requests)."""
    from parklink.chains import ChainData

    firms = ri.inputs.require_firms()
    data: ChainData = ri.once("chain_data", lambda: ChainData.from_dataset(
        firms, template=ri.inputs.chain_template()))
    return data


def transaction_years(ri: ReportInputs) -> list[int]:
    """Years present in the firm transactions (empty without a firm dataset)."""
    inputs = ri.inputs
    if inputs.firms is None or not inputs.firms.exists():
        return []

    def compute() -> list[int]:
        import duckdb

        assert inputs.firms is not None
        con = duckdb.connect()
        try:
            rows = con.execute("SELECT DISTINCT year FROM read_parquet(?) ORDER BY year",
                               [inputs.firms.transactions_glob]).fetchall()
        finally:
            con.close()
        return [int(r[0]) for r in rows]

    years: list[int] = _memo(ri, "years", compute)
    return years


def accessibility_table(ri: ReportInputs) -> pd.DataFrame:
    """Per-park accessibility (:func:`parklink.logistics.access.accessibility`, container
    profile over the bundle's network, firms of the firm population)."""
    from parklink.logistics.access import accessibility
    from parklink.logistics.plan import _in_region

    def compute() -> pd.DataFrame:
        firms, _synthetic = ri.inputs.firm_population()
        return accessibility(ri.inputs.network(), firms=_in_region(firms)).table

    frame: pd.DataFrame = _memo(ri, "accessibility", compute)
    return frame


def header_facts(ri: ReportInputs, config: ReportConfig, *extra: tuple[str, str, str]) -> Facts:
    """The provenance block every report opens with: data source, version, fingerprint."""
    fp = ri.fingerprint(config)
    return Facts((*extra,
                  ("数据来源", "Data source", ri.inputs.note),
                  ("数据版本", "Data version", f"{fp.data_version} · registry {fp.registry} · firms {fp.firms}"),
                  ("指纹", "Fingerprint", fp.digest)))


def table(key: str, title_zh: str, title_en: str, frame: pd.DataFrame, columns: Sequence[tuple[str, str, str]],
          *, note: str = "", max_rows: int = 12, max_chars: int = 0) -> Table:
    """A document table over the columns of ``frame`` that exist."""
    cols = tuple(c for c in columns if c[0] in frame.columns)
    return Table(key, title_zh, title_en, frame.reset_index(drop=True), cols, note, max_rows, max_chars)
