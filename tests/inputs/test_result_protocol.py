"""Every analysis result follows one protocol (parklink.results.Result): ``to_frame()`` with
ids, a read-only ``explain()`` and a JSON-ready ``summary()``; runs carry the fingerprint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from parklink.configs import ChainsConfig, DesignationConfig, EvaluationConfig, RouteConfig
from parklink.inputs import Inputs, embedded_inputs
from parklink.results import Result


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inputs]:
    """The embedded dataset with a small synthetic firm dataset."""
    from parklink.datasets.synthetic import write_dataset
    from parklink.firmdata import FirmDataset

    root = tmp_path_factory.mktemp("data") / "firms"
    write_dataset(root, n_firms=800, n_transactions=6000, seed=7, progress=False)
    assert FirmDataset(root).exists()
    yield embedded_inputs(firm_root=root)


def results(inputs: Inputs) -> dict[str, Any]:
    from parklink.runs import designate, diagnose_chains, evaluate, find_route

    ev = evaluate(inputs, EvaluationConfig(draws=200))
    des = designate(inputs, DesignationConfig(), scores=(ev.evaluation.scores(), False))
    return {
        "evaluation_run": ev, "evaluation": ev.evaluation,
        "designation_run": des, "designation": des.result,
        "chains_run": diagnose_chains(inputs, ChainsConfig(scope="CQ", chain="auto")),
        "route_run": find_route(inputs, RouteConfig("cq-liangjiang-new-area", "sc-chengdu-htz")),
    }


def test_every_result_follows_the_protocol(inputs: Inputs) -> None:
    for name, res in results(inputs).items():
        assert isinstance(res, Result), name
        frame = res.to_frame()
        assert isinstance(frame, pd.DataFrame) and len(frame), name
        assert {"park_id", "segment_id", "from_node", "alternative"} & set(frame.columns), name  # rows carry ids
        tables = res.explain()
        assert tables and all(isinstance(t, pd.DataFrame) for t in tables.values()), name
        key = next(iter(tables))
        with pytest.raises(TypeError):
            tables[key] = pd.DataFrame()  # type: ignore[index]
        first = tables[key]
        n_rows = len(first)
        first["tampered"] = 1  # changing what explain() handed out ...
        again = res.explain()[key]  # ... leaves the result intact
        assert len(again) == n_rows and "tampered" not in again.columns, name
        summary = res.summary()
        json.dumps(summary, default=str)  # JSON-ready
        if name.endswith("_run"):
            fp = summary["fingerprint"]
            assert fp["digest"] == res.fingerprint.digest and fp["config"] == res.config.hash(), name
            assert summary["source"] == "embedded"


def test_fingerprint_follows_data_firms_and_configuration(inputs: Inputs, tmp_path: Path) -> None:
    from dataclasses import replace

    from parklink.configs import fingerprint

    base = fingerprint(inputs, EvaluationConfig())
    assert base == fingerprint(inputs, EvaluationConfig())  # deterministic
    assert base.config != fingerprint(inputs, EvaluationConfig(travel_time="geodesic")).config
    assert base.config == fingerprint(inputs, EvaluationConfig(weights=None, draws=10_000)).config
    no_firms = replace(inputs, firms=None, _memo={})
    assert fingerprint(no_firms, EvaluationConfig()).firms == "absent" != base.firms
    parks = inputs.frame("parks").copy()
    parks.loc[0, "area_km2"] = 999.0
    changed = replace(inputs, frames={**inputs.frames, "parks": parks}, _memo={})
    assert fingerprint(changed, EvaluationConfig()).registry != base.registry
    # the digest is what the result was computed from: content, firm data, configuration —
    # each moves it; the data version (when the inputs were read) does not
    assert len({base.digest, fingerprint(changed, EvaluationConfig()).digest,
                fingerprint(no_firms, EvaluationConfig()).digest,
                fingerprint(inputs, EvaluationConfig(travel_time="geodesic")).digest}) == 4
    later = replace(inputs, data_version="db:999", _memo={})
    assert fingerprint(later, EvaluationConfig()).digest == base.digest
    assert fingerprint(later, EvaluationConfig()).data_version == "db:999" != base.data_version
    # explicit weights are normalised: proportional weights are one configuration
    a = EvaluationConfig(weights=(("park_level", 2.0), ("area_km2", 2.0)))
    b = EvaluationConfig(weights=(("area_km2", 1.0), ("park_level", 1.0)))
    assert a.hash() == b.hash() and a.weighting == "given"
