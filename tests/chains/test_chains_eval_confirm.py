"""The confirmatory hold-out: the fixed model on a fresh generator seed (not used for the
model choice), reproduced by an independent run; (slow) the docs table on the default size."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from parklink.chains.eval_honest_confirm import (
    BEGIN,
    CONFIRM_SEED,
    END,
    confirmatory_holdout,
    markdown_confirmatory,
)
from parklink.chains.eval_honest_io import DOC_SEED, run_honest_evaluation
from parklink.datasets import synthetic as syn
from parklink.inputs import embedded_inputs

DOC = Path(__file__).resolve().parents[2] / "docs" / "rankeval.md"


def test_fresh_seed_hold_out_equals_an_independent_run(tmp_path: Path) -> None:
    # a small "default" dataset: generated with the seed the model was chosen on
    root = tmp_path / "default" / "firms"
    syn.write_dataset(root, n_firms=2000, n_transactions=30_000, seed=DOC_SEED, progress=False)
    conf = confirmatory_holdout(embedded_inputs(firm_root=root), levels=("circle",), seed=3,
                                n_permutations=300)
    assert conf.kind == "fresh_seed" and conf.data_seed == CONFIRM_SEED == DOC_SEED + 1
    # independently: generate the fresh seed ourselves and run the main protocol on it
    fresh = tmp_path / "fresh" / "firms"
    syn.write_dataset(fresh, n_firms=2000, n_transactions=30_000, seed=CONFIRM_SEED, progress=False)
    ref = run_honest_evaluation(embedded_inputs(firm_root=fresh), levels=("circle",), seed=3,
                                n_permutations=300)
    pd.testing.assert_frame_equal(conf.evaluation.to_frame(), ref.to_frame())
    main = run_honest_evaluation(embedded_inputs(firm_root=root), levels=("circle",), seed=3,
                                 n_permutations=300)
    assert not conf.evaluation.to_frame()["ndcg@10"].equals(main.to_frame()["ndcg@10"])  # other data
    f = conf.to_frame()
    assert list(f["level"]) == ["circle"]
    for r in f.itertuples(index=False):
        t = ref.tables[str(r.level)].test
        assert t is not None and r.p_value == t.p_value and r.difference == pytest.approx(t.mean_difference)
        assert r.best_baseline == ref.tables[str(r.level)].best_baseline
    assert "fresh generator seed" in conf.summary() and "| circle |" in markdown_confirmatory(conf)


def test_other_data_are_their_own_confirmatory_test(tmp_path: Path) -> None:
    root = tmp_path / "firms"
    syn.write_dataset(root, n_firms=1500, n_transactions=20_000, seed=11, progress=False)
    b = embedded_inputs(firm_root=root)
    conf = confirmatory_holdout(b, levels=("circle",), seed=3, n_permutations=200)
    assert conf.kind == "this_data" and conf.data_seed is None
    ref = run_honest_evaluation(b, levels=("circle",), seed=3, n_permutations=200)
    pd.testing.assert_frame_equal(conf.evaluation.to_frame(), ref.to_frame())
    assert "not used to choose the model" in conf.summary()


@pytest.mark.slow
def test_docs_confirmatory_table_is_reproduced(tmp_path: Path) -> None:
    """The confirmatory table in docs/rankeval.md: the default size at seed DOC_SEED + 1."""
    root = tmp_path / "firms"
    syn.write_dataset(root, n_firms=20_000, n_transactions=500_000, seed=DOC_SEED, progress=False)
    conf = confirmatory_holdout(embedded_inputs(firm_root=root))
    text = DOC.read_text(encoding="utf-8")
    got = text[text.index(BEGIN) + len(BEGIN):text.index(END)].strip()
    assert got == markdown_confirmatory(conf).strip(), (
        "docs/rankeval.md is stale: run python -m parklink.chains.eval_honest_confirm docs/rankeval.md")


def test_cli_prints_the_confirmatory_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import typer
    from typer.testing import CliRunner

    from parklink.chains import cli as chains_cli
    from parklink.chains.eval_cli import register

    root = tmp_path / "firms"
    syn.write_dataset(root, n_firms=1500, n_transactions=20_000, seed=11, progress=False)
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)
    monkeypatch.setattr(chains_cli, "cli_inputs", lambda: embedded_inputs(firm_root=root))
    r = CliRunner().invoke(app, ["chains-eval", "--levels", "circle", "--seed", "2"])
    assert r.exit_code == 0, r.output
    assert "--confirmatory" in r.output and "Confirmatory hold-out" not in r.output
    out = tmp_path / "eval.json"
    r = CliRunner().invoke(app, ["chains-eval", "--levels", "circle", "--seed", "2", "--confirmatory",
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "Confirmatory hold-out" in r.output and "not used to choose the model" in r.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    conf = doc["confirmatory"]
    assert conf["kind"] == "this_data" and conf["table"][0]["level"] == "circle"
    # these data were not used for the choice: the hold-out is the main table's own test
    main = next(t for t in doc["table"] if t["method"] == "learned")
    assert conf["table"][0]["p_value"] == pytest.approx(main["p_vs_best_baseline"])
