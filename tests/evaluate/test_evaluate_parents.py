"""A park and its parent never compete in an evaluation; shared points are reported."""

from __future__ import annotations

from parklink.datasets import chengyu
from parklink.evaluate.api import score_parks
from parklink.evaluate.indicators import compute_indicators
from parklink.programme.parks import evaluation_units, parent_child_pairs


def _frames() -> dict[str, object]:
    return {k: chengyu.load(k) for k in ("regions", "zones", "transport_nodes")}


def test_parent_with_a_candidate_child_is_not_ranked() -> None:
    parks = chengyu.load("parks")
    table = compute_indicators(parks, **_frames())  # type: ignore[arg-type]
    parents = {a for a, _c in parent_child_pairs(parks)}
    assert set(table.excluded) == parents == {"cq-liangjiang-new-area", "sc-yibin-sanjiang-new-area", "sc-chengdu-htz"}
    dm = table.matrix(parks)
    assert not parents & set(dm.alternatives)
    assert len(dm.alternatives) == len(parks) - 3
    assert any("parent or sub-park stands for them" in n for n in table.notes)
    assert any("share one map point" in n for n in table.notes)
    # indicator values are still computed for the parents (park pages show them)
    assert parents <= set(table.values["park_id"])


def test_designated_park_stands_for_its_family() -> None:
    """Yufu (designated) keeps Liangjiang New Area out; Sanjiang (designated) keeps its Lingang ETDZ out."""
    parks = chengyu.load("parks")
    table = compute_indicators(parks, **_frames(), designations=chengyu.load("designations"))  # type: ignore[arg-type]
    assert set(table.excluded) == {"cq-liangjiang-new-area", "sc-yibin-lingang-etdz", "sc-chengdu-htz"}
    dm = table.matrix(parks)
    assert {"cq-liangjiang-yufu", "cq-lianglu-cuntan-bonded-port", "sc-yibin-sanjiang-new-area"} <= set(dm.alternatives)


def test_evaluation_units_by_hand() -> None:
    parent = {"c1": "p", "c2": "p", "g": "c1"}
    ids = ["p", "c1", "c2", "g", "x"]
    assert evaluation_units(ids, parent) == ["c2", "g", "x"]
    assert evaluation_units(ids, parent, ["c1"]) == ["c1", "c2", "x"]  # p and g stand down for c1
    assert evaluation_units(ids, parent, ["p"]) == ["p", "x"]
    assert evaluation_units(["p", "c1"], parent, ["p", "c1"]) == ["p", "c1"]  # both designated: both kept


def test_parent_alone_is_ranked() -> None:
    """Without its sub-parks among the candidates, Liangjiang New Area is evaluated."""
    parks = chengyu.load("parks")
    alone = parks[~parks["park_id"].isin(["cq-liangjiang-yufu", "cq-lianglu-cuntan-bonded-port"])]
    scores = score_parks(alone.reset_index(drop=True), **_frames())  # type: ignore[arg-type]
    assert "cq-liangjiang-new-area" in scores.index
    assert "sc-yibin-sanjiang-new-area" not in scores.index  # its sub-park Lingang ETDZ is a candidate
