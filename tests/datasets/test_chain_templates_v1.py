"""Chain templates v1 (chain_segments.csv) against chain-methods.md §4 and the schema."""

from __future__ import annotations

import re
from pathlib import Path

import igraph as ig
import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from parklink import tables

CSV = Path(__file__).parents[2] / "src" / "parklink" / "datasets" / "chengyu" / "chain_segments.csv"


@pytest.fixture(scope="module")
def seg() -> pd.DataFrame:
    return pd.read_csv(CSV, dtype=str, keep_default_na=False)


def _items(cell: str) -> list[str]:
    return [x for x in cell.split(";") if x]


def test_columns_are_the_schema(seg: pd.DataFrame) -> None:
    assert tuple(seg.columns) == tables.CHAIN_SEGMENTS.names


def test_ids_unique_prefixed_and_versioned(seg: pd.DataFrame) -> None:
    assert seg["segment_id"].is_unique
    pattern = re.compile(tables.CHAIN_SEGMENTS.column("segment_id").pattern or "")
    for sid, chain in zip(seg["segment_id"], seg["chain"], strict=True):
        assert pattern.match(sid), sid
        assert sid.split(".")[0] == chain, sid
    assert set(seg["chain"]) == set(tables.CHAINS)
    assert set(seg["version"]) == {"v1"}
    assert set(seg["level"]) <= set(tables.SEGMENT_LEVELS)
    assert set(seg["confidence"]) <= {"likely", "unconfirmed"}


def test_every_chain_has_up_mid_down(seg: pd.DataFrame) -> None:
    for chain, rows in seg.groupby("chain"):
        assert {"up", "mid", "down"} <= set(rows["level"]), chain


def test_codes_are_four_digit_with_quality(seg: pd.DataFrame) -> None:
    for sid, cell in zip(seg["segment_id"], seg["gbt4754"], strict=True):
        for item in _items(cell):
            code, q = item.split(":")
            assert re.fullmatch(r"\d{4}", code), (sid, item)
            assert q in tables.CODE_QUALITY, (sid, item)


def test_inputs_exist_and_form_a_dag(seg: pd.DataFrame) -> None:
    ids = list(seg["segment_id"])
    index = {s: i for i, s in enumerate(ids)}
    edges = []
    for sid, cell in zip(seg["segment_id"], seg["inputs"], strict=True):
        for src in _items(cell):
            assert src in index, (sid, src)
            assert src != sid
            edges.append((index[src], index[sid]))  # upstream -> downstream
    g = ig.Graph(n=len(ids), edges=edges, directed=True)
    assert g.is_dag()
    # same verdict from scipy: a directed graph is acyclic iff every strongly connected
    # component is a single node (no self-loops were allowed above)
    rows, cols = zip(*edges, strict=True)
    m = csr_matrix((np.ones(len(edges)), (rows, cols)), shape=(len(ids), len(ids)))
    n_comp, _ = connected_components(m, directed=True, connection="strong")
    assert n_comp == len(ids)


def test_inputs_stay_within_their_chain(seg: pd.DataFrame) -> None:
    """v1 design choice (documented in chains.md): templates are self-contained per chain."""
    for sid, cell in zip(seg["segment_id"], seg["inputs"], strict=True):
        for src in _items(cell):
            assert src.split(".")[0] == sid.split(".")[0], (sid, src)


def test_every_final_assembly_segment_has_inputs(seg: pd.DataFrame) -> None:
    for sid in ("auto.vehicles_ice", "auto.vehicles_nev", "moto.motorcycles", "electronics.phones",
                "electronics.computers", "electronics.panels", "biomed.formulations", "biomed.biologics"):
        assert _items(seg.set_index("segment_id").at[sid, "inputs"]), sid


@pytest.mark.parametrize(
    ("segment", "expected"),
    [  # transcribed by hand from chain-methods.md §4.1–4.5
        ("auto.castings", {"3391:E", "3392:E"}),
        ("auto.engines", {"3620:E"}),
        ("auto.vehicles_ice", {"3611:E"}),
        ("auto.vehicles_nev", {"3612:E"}),
        ("auto.battery", {"3841:E"}),
        ("auto.cockpit", {"3962:E"}),
        ("auto.charging_services", {"5267:E"}),
        ("moto.motorcycles", {"3751:E"}),
        ("moto.parts", {"3752:P"}),
        ("electronics.ic_design", {"6520:E"}),
        ("electronics.wafer_fab", {"3973:P"}),
        ("electronics.panels", {"3974:E"}),
        ("electronics.pcb", {"3982:E"}),
        ("electronics.phones", {"3922:E"}),
        ("biomed.api", {"2710:E"}),
        ("biomed.formulations", {"2720:E"}),
        ("biomed.biologics", {"2761:E", "2762:E"}),
        ("biomed.cro", {"7340:P"}),
    ],
)
def test_codes_match_the_reference(seg: pd.DataFrame, segment: str, expected: set[str]) -> None:
    cell = seg.set_index("segment_id").at[segment, "gbt4754"]
    assert set(_items(cell)) == expected


def test_unverified_mappings_are_marked_unconfirmed(seg: pd.DataFrame) -> None:
    """chain-methods.md §4/§6 mark these placements [U]."""
    conf = seg.set_index("segment_id")["confidence"]
    for sid in ("auto.lithium_ores", "auto.charging_equipment", "auto.battery_recycling",
                "moto.engines", "moto.ebikes_atv", "biomed.herbs", "biomed.ivd"):
        assert conf[sid] == "unconfirmed", sid


def test_rows_are_bilingual_sourced_and_matchable(seg: pd.DataFrame) -> None:
    for _, row in seg.iterrows():
        assert re.search(r"[\u4e00-\u9fff]", row["name_zh"]), row["segment_id"]
        assert re.search(r"[A-Za-z]", row["name_en"]), row["segment_id"]
        assert "chain-methods.md §4" in row["source_refs"], row["segment_id"]
        assert _items(row["keywords_include"]), row["segment_id"]
        assert float(row["weight"]) == 1.0  # no source gives cost shares


def test_loader_reads_the_template_with_schema_types() -> None:
    chengyu = pytest.importorskip("parklink.datasets.chengyu")
    frame = chengyu.load("chain_segments")
    assert tuple(frame.columns) == tables.CHAIN_SEGMENTS.names
    assert len(frame) == len(pd.read_csv(CSV))
