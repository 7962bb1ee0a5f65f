"""Supplier counts per scope × segment count distinct supplier firms, not supplier–buyer pairs.

Independent expectation: a plain pandas computation on the tiny network (conftest.py), with
scope membership written out by hand. By hand for designation d1 (parks p1 + p2), 2023,
segment auto.parts (suppliers' primary segment): rows F2→F1, F3→F1, F5→F1, F7→F1, F3→F2,
F5→F4, F2→F4, F7→F4 are 8 pairs but 4 firms (F2, F3, F5, F7), of which 2 are in the scope
(F2, F5; 4 in-scope pairs).
"""

from __future__ import annotations

import pandas as pd
import pytest

from parklink.chains.data import ChainData
from parklink.chains.diagnosis import ChainDiagnosis, diagnose
from parklink.chains.scope import ScopeFrames, resolve_scope

from .conftest import firms_frame, template_frame, tx_frame

MEMBERS = {"park:p1": {"F1", "F2", "F8"}, "park:p2": {"F4", "F5"},
           "designation:d1": {"F1", "F2", "F8", "F4", "F5"}}


@pytest.fixture(scope="module")
def diag(tiny_data: ChainData, frames: ScopeFrames) -> ChainDiagnosis:
    return diagnose(tiny_data, [resolve_scope(s, frames) for s in MEMBERS])


def _expected() -> pd.DataFrame:
    firms = firms_frame()
    seg1 = dict(zip(firms.enterprise_id, firms.segments.str.split(";").str[0], strict=True))
    tx = tx_frame()
    tx = tx[tx.year == 2023]
    rows = []
    for scope, members in MEMBERS.items():
        t = tx[tx.buyer_id.isin(members)].copy()
        t["segment_id"] = t.supplier_id.map(seg1)
        t = t.dropna(subset=["segment_id"])
        t["local"] = t.supplier_id.isin(members)
        g = t.groupby("segment_id").agg(
            n_suppliers=("supplier_id", "nunique"),
            n_local_suppliers=("supplier_id", lambda s, t=t: s[t.loc[s.index, "local"]].nunique()))
        rows.append(g.reset_index().assign(scope_id=scope))
    return pd.concat(rows, ignore_index=True)


def test_supplier_counts_are_distinct_firms(diag: ChainDiagnosis) -> None:
    exp = _expected()
    got = diag.segments.merge(exp, on=["scope_id", "segment_id"], suffixes=("", "_exp"))
    assert len(got) == len(exp)
    assert (got.n_suppliers == got.n_suppliers_exp).all()
    assert (got.n_local_suppliers == got.n_local_suppliers_exp).all()


def test_supplier_counts_by_hand(diag: ChainDiagnosis) -> None:
    s = diag.segments.set_index(["scope_id", "segment_id"])
    row = s.loc[("designation:d1", "auto.parts")]
    assert (row.n_suppliers, row.n_local_suppliers) == (4, 2)
    # segments nobody buys have no suppliers
    assert s.loc[("designation:d1", "auto.sales")].n_suppliers == 0


def test_circle_lq_against_itself_is_not_weak(frames: ScopeFrames) -> None:
    """The whole circle's LQ against the circle is 1; rounding (0.9999999999999999 with these
    outputs, the sums run in another order) must not flag a weak gap. auto.parts has local
    demand and a local supply share 440/510 > 0.3, so neither weak rule applies."""
    firms = firms_frame()
    firms["output_cny_m"] = [0.1, 0.2, 0.3, 0.7, 1.1, 0.3, 5.0, 0.7, 2.0, 0.1]
    data = ChainData.from_frames(firms, tx_frame(), template_frame())
    d = diagnose(data, [resolve_scope("circle", frames)])
    s = d.segments.set_index("segment_id")
    present = s[s.n_firms > 0]
    assert present.lq_circle.to_numpy() == pytest.approx(1.0, rel=1e-12)
    assert s.loc["auto.parts", "local_supply_share"] == pytest.approx(440 / 510)
    assert not s.loc["auto.parts", "gap_weak"]
    ev = d.evidence
    assert not ((ev.scope_id == "circle") & (ev.metric == "lq_circle")).any()
