"""Honest evaluation of the investment-target ranking: seeded, oracle as upper bound, the CLI
table, and (slow) the docs table reproduced on the default synthetic data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from parklink.chains.eval_honest import LEVELS, METHODS, evaluate_target_ranking
from parklink.chains.eval_honest_io import (
    BEGIN,
    DOC_SEED,
    END,
    level_scopes,
    markdown_table,
    run_honest_evaluation,
)
from parklink.chains.scope import ScopeFrames
from parklink.datasets import chengyu
from parklink.datasets import synthetic as syn
from parklink.errors import NotFoundError
from parklink.firmdata import FirmDataset

DOC = Path(__file__).resolve().parents[2] / "docs" / "rankeval.md"


@dataclass
class EmbeddedBundle:
    """The parts of an Inputs bundle the evaluation uses, from the embedded dataset."""

    root: Path

    def scope_frames(self) -> ScopeFrames:
        return ScopeFrames.from_frames({k: chengyu.load(k) for k in ("regions", "zones", "parks", "designations")})

    def frame(self, kind: str) -> pd.DataFrame:
        return chengyu.load(kind)

    def require_firms(self) -> FirmDataset:
        return FirmDataset(self.root).require()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedBundle:
    root = tmp_path_factory.mktemp("honest") / "firms"
    syn.write_dataset(root, n_firms=4000, n_transactions=80_000, seed=11, progress=False)
    return EmbeddedBundle(root)


def test_seeded_table_with_oracle_on_top(small: EmbeddedBundle) -> None:
    a = run_honest_evaluation(small, levels=("designation", "circle"), seed=3, n_permutations=500)
    b = run_honest_evaluation(small, levels=("designation", "circle"), seed=3, n_permutations=500)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert a.oracle_available and a.synthetic and a.test_year == 2023 and a.train_year == 2022
    f = a.to_frame()
    assert set(f["method"]) == {m.name for m in METHODS}
    for lvl, part in f.groupby("level"):
        t = part.set_index("method")
        # the oracle is the upper bound of every method, the random order the floor of popularity
        assert t.loc["oracle", "ndcg@10"] >= t["ndcg@10"].drop("oracle").max(), lvl
        assert t.loc["oracle", "ndcg@10"] > t.loc["random", "ndcg@10"]
        assert t["best_baseline"].sum() == 1
        best = t.index[t["best_baseline"]][0]
        assert t.loc[best, "kind"] == "baseline"
        assert 0 < t.loc["learned", "p_vs_best_baseline"] <= 1
    w = a.explain()["weights"]
    assert set(w["level"]) == {"designation", "circle"} and w["model_version"].str.contains("pairwise").all()
    md = markdown_table(a)
    assert "| circle | oracle | oracle |" in md and "Fitted weights" in md


def test_already_linked_firms_leave_the_lists(small: EmbeddedBundle) -> None:
    firms = pd.read_parquet(small.root / "firms.parquet")
    tx = pd.read_parquet(small.root / "transactions", columns=["supplier_id", "buyer_id", "year"])
    scopes = level_scopes(small, ("circle",))
    ev = evaluate_target_ranking(firms, tx, scopes, seed=1, n_permutations=200)
    pq = ev.tables["circle"].per_query
    assert (pq["n_positives"] > 0).all()
    inside = set(firms.loc[firms["province"].isin(["SC", "CQ"]), "enterprise_id"])
    before = set(tx[(tx["year"] < 2023) & tx["buyer_id"].isin(inside)]["supplier_id"])
    new = set(tx[(tx["year"] == 2023) & tx["buyer_id"].isin(inside)]["supplier_id"]) - before - inside
    assert ev.counts.set_index("level").loc["circle", "test_positives"] == len(new)
    with pytest.raises(NotFoundError):
        evaluate_target_ranking(firms, tx[tx["year"] >= 2022], scopes)


def test_cli_prints_the_table(small: EmbeddedBundle, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer
    from typer.testing import CliRunner

    from parklink.chains import cli as chains_cli
    from parklink.chains.eval_cli import register

    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)
    monkeypatch.setattr(chains_cli, "cli_inputs", lambda: small)
    r = CliRunner().invoke(app, ["chains-eval", "--levels", "circle", "--seed", "2"])
    assert r.exit_code == 0, r.output
    assert "oracle" in r.output and "learned" in r.output and "synthetic" in r.output
    r = CliRunner().invoke(app, ["chains-eval", "--levels", "nowhere"])
    assert r.exit_code != 0 and "levels" in r.output


@pytest.mark.slow
def test_docs_table_is_reproduced(tmp_path: Path) -> None:
    """The table in docs/rankeval.md is what the default data gives (regenerated here)."""
    root = tmp_path / "firms"
    syn.write_dataset(root, n_firms=20_000, n_transactions=500_000, seed=DOC_SEED, progress=False)
    ev = run_honest_evaluation(EmbeddedBundle(root), levels=tuple(LEVELS), seed=DOC_SEED)
    text = DOC.read_text(encoding="utf-8")
    got = text[text.index(BEGIN) + len(BEGIN):text.index(END)].strip()
    assert got == markdown_table(ev).strip(), (
        "docs/rankeval.md is stale: run python -m parklink.chains.eval_honest_io docs/rankeval.md")
    circle = ev.tables["circle"].test
    assert circle is not None and circle.mean_difference > 0 and circle.p_value < 0.05


def test_diagnosis_ranks_with_the_learned_model(small: EmbeddedBundle) -> None:
    """diagnose(ranking="learned") scores candidates with Σ w_j·x_j of the model fitted on
    the new links of the diagnosis year: the engine's scores equal the ranker's own scores
    of the same candidates (features from that year) up to a constant."""
    import numpy as np

    from parklink.chains import ChainData, diagnose
    from parklink.chains.eval_features import firm_segments, period_candidates, scope_members
    from parklink.chains.scope import circle_scope

    data = ChainData.from_dataset(FirmDataset(small.root), template=chengyu.load("chain_segments"))
    sc = circle_scope()
    d = diagnose(data, sc, year=2023, top_n=1_000_000, candidate_pool=None)
    tm = d.explain["target_model"]
    assert (tm["ranking"] == "learned").all() and tm["model_version"].iloc[0].endswith("@2023")
    assert d.targets["ranking"].str.startswith("learned:").all()
    hand = diagnose(data, sc, year=2023, top_n=5, ranking="hand")
    assert (hand.targets["ranking"] == "hand").all()
    assert hand.explain["target_model"]["model_version"].iloc[0] == "hand-weights"
    # recompute with the ranker on the pandas features of "year 2024" (history up to 2023)
    from parklink.chains.target_model import fit_target_model

    model = fit_target_model(data, [sc], 2023)
    assert model is not None
    firms = pd.read_parquet(small.root / "firms.parquet")
    tx = pd.read_parquet(small.root / "transactions", columns=["supplier_id", "buyer_id", "year"])
    members = scope_members(firms, [sc])
    feats = period_candidates(firms, firm_segments(firms), tx, [sc], members, 2024,
                              only_with_positives=False)
    m = d.targets.merge(feats, left_on=["segment_id", "enterprise_id"], right_on=["segment_id", "item_id"])
    assert len(m) > 20
    diff = m["score"].to_numpy() - model.ranker.score(m)
    np.testing.assert_allclose(diff, diff[0], atol=1e-3)  # distances: SQL vs numpy haversine


def test_tiny_history_falls_back_to_hand_weights(small: EmbeddedBundle) -> None:
    from parklink.chains import ChainData, diagnose
    from parklink.chains.scope import circle_scope

    data = ChainData.from_dataset(FirmDataset(small.root), template=chengyu.load("chain_segments"))
    d = diagnose(data, circle_scope(), year=2021, top_n=3)  # no year before 2021: no fit
    assert (d.targets["ranking"] == "hand").all()
    assert "not possible" in d.explain["target_model"]["model_version"].iloc[0]
