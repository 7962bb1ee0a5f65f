"""The generator's own link probabilities: the ORACLE of a ranking evaluation (生成器真值).

For year *t* and a set of buyers *R* (a scope), the oracle score of a supplier *s* is the
expected number of accepted draws of *s* by the buyers of *R* in year *t*:

``λ_R(s) = Σ_{b ∈ R} m_bt · π_b(s)``,
``π_b(s) = p_b(s) · a(s, b, t) / Σ_{s'} p_b(s') · a(s', b, t)``,
``p_b(s) = q_{k_b, k_s} · W-normalised d(g_s, g_b)^-ζ · w_s`` (the three-stage draw of
:func:`parklink.datasets.synthetic.transactions._sample_suppliers`) and ``a`` the hidden
acceptance (:mod:`parklink.datasets.synthetic.hidden`; 1 for version 1). The probability
that *s* links into *R* in year *t* is ``≈ 1 − exp(−λ_R(s))`` (before de-duplication), a
monotone function of λ, so ranking by λ is ranking by the generator's link probability.
It uses everything the generator knows (hidden fit, policy support, which firms are active
in *t*, the draw counts ``m_bt``) — an upper bound no ranker can reach on real data, where
no oracle exists.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from parklink.datasets.synthetic.common import DEFAULT_PARAMS, FloatArray, SyntheticParams
from parklink.datasets.synthetic.transactions import _build_plan, _Plan

#: File written beside firms.parquet by ``write_dataset``: how to regenerate the plan.
GENERATION_FILE = "generation.json"


def generation_record(*, seed: int, n_firms: int, n_transactions: int, years: Sequence[int],
                      params: SyntheticParams, embedded: bool) -> dict[str, Any]:
    """The JSON-able record of one generation (seed, sizes, years, parameters)."""
    p = {k: (dict(v) if isinstance(v, Mapping) else v)
         for k, v in ((f.name, getattr(params, f.name)) for f in dataclasses.fields(params))}
    p["province_bias"] = {k: dict(v) for k, v in params.province_bias.items()}
    return {"seed": int(seed), "n_firms": int(n_firms), "n_transactions": int(n_transactions),
            "years": [int(y) for y in years], "embedded_frames": bool(embedded), "params": p}


def _params_from(d: Mapping[str, Any]) -> SyntheticParams:
    fields = {f.name for f in dataclasses.fields(SyntheticParams)}
    kw: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in fields}
    return dataclasses.replace(DEFAULT_PARAMS, **kw)


@dataclass(frozen=True)
class LinkOracle:
    """The sampling plan of a generated dataset, rebuilt from its seed (see module docstring)."""

    plan: _Plan
    ids: tuple[str, ...]
    generator_version: int

    @classmethod
    def from_root(cls, root: Path) -> LinkOracle | None:
        """Rebuild the plan of the dataset at ``root``; None when the dataset has no
        generation record, was made from frames other than the embedded ones, or its firm
        ids differ from the regenerated firms (the data were edited)."""
        path = Path(root) / GENERATION_FILE
        if not path.is_file():
            return None
        rec = json.loads(path.read_text(encoding="utf-8"))
        if not rec.get("embedded_frames", False):
            return None
        oracle = cls.from_record(rec)
        firms = pd.read_parquet(Path(root) / "firms.parquet", columns=["enterprise_id"])
        if set(firms["enterprise_id"].astype(str)) != set(oracle.ids):
            return None
        return oracle

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> LinkOracle:
        """Regenerate firms and the transaction plan from a generation record (embedded frames)."""
        from parklink.datasets.synthetic.dataset import _embedded, _optional_embedded
        from parklink.datasets.synthetic.firms import generate_firms

        params = _params_from(rec.get("params", {}))
        segments = _embedded("chain_segments")
        parks = _optional_embedded("parks")
        ent = _optional_embedded("enterprises")
        leaders = ent[ent["leading"].fillna(False).astype(bool)] if ent is not None else None
        firms = generate_firms(_embedded("regions"), segments, n_firms=int(rec["n_firms"]),
                               seed=int(rec["seed"]), parks=parks, leaders=leaders, params=params)
        plan = _build_plan(firms, segments, n_transactions=int(rec["n_transactions"]),
                           years=tuple(rec["years"]), seed=int(rec["seed"]), params=params)
        return cls(plan=plan, ids=tuple(firms["enterprise_id"].astype(str)),
                   generator_version=int(params.generator_version))

    def intensity(self, year: int, members: Mapping[str, Sequence[str]]) -> pd.DataFrame:
        """λ_R(s) for every scope R in ``members`` (scope id → buyer firm ids) and every
        supplier s with λ > 0: columns ``scope_id``, ``enterprise_id``, ``oracle``."""
        plan = self.plan
        if year not in plan.years:
            return pd.DataFrame(columns=["scope_id", "enterprise_id", "oracle"])
        t = plan.years.index(year)
        pos = {e: i for i, e in enumerate(self.ids)}
        scope_ids = list(members)
        buyers_of = [np.array(sorted({pos[b] for b in members[s] if b in pos}), dtype=np.int64)
                     for s in scope_ids]
        allb = np.unique(np.concatenate(buyers_of)) if buyers_of else np.zeros(0, dtype=np.int64)
        allb = allb[(plan.m[t, allb] > 0) & (plan.seg[allb] >= 0)] if allb.size else allb
        ms = np.zeros((len(scope_ids), allb.size))
        col = {int(b): j for j, b in enumerate(allb.tolist())}
        for i, bs in enumerate(buyers_of):
            idx = [col[int(b)] for b in bs.tolist() if int(b) in col]
            ms[i, idx] = 1.0
        lam = np.zeros((len(scope_ids), plan.n))
        n_groups = plan.n_groups
        for kb in np.unique(plan.seg[allb]).tolist():
            rows = np.flatnonzero(plan.seg[allb] == kb)
            slots = np.flatnonzero(np.isfinite(plan.log_q[t][kb]))
            if slots.size == 0:
                continue
            ranges = [(int(plan.cell_start[plan.kin_seg[sl] * n_groups]),
                       int(plan.cell_start[(plan.kin_seg[sl] + 1) * n_groups])) for sl in slots]
            cand = np.concatenate([plan.cell_order[a:z] for a, z in ranges])
            slot_of = np.repeat(slots, [z - a for a, z in ranges])
            with np.errstate(divide="ignore"):
                base = plan.log_q[t][kb, slot_of] + np.log(plan.weight[t, cand])
            gc = plan.group[cand]
            step = max(1, (1 << 21) // max(cand.size, 1))
            for lo in range(0, rows.size, step):
                sub = allb[rows[lo:lo + step]]
                gb = plan.group[sub]
                logp = base[None, :] + plan.log_decay[gc][:, gb].T - plan.log_z[t][slot_of][:, gb].T
                if plan.hidden is not None:
                    logp = logp + plan.hidden.log_acceptance_matrix(cand, sub, t)
                logp[sub[:, None] == cand[None, :]] = -np.inf
                p = _softmax_rows(logp) * plan.m[t, sub][:, None]
                lam[:, cand] += ms[:, rows[lo:lo + step]] @ p
        r, c = np.nonzero(lam > 0)
        return pd.DataFrame({"scope_id": np.asarray(scope_ids, dtype=object)[r],
                             "enterprise_id": np.asarray(self.ids, dtype=object)[c],
                             "oracle": lam[r, c]})


def _softmax_rows(logp: FloatArray) -> FloatArray:
    """Row-normalised exp (rows of -inf only give zeros)."""
    mx = np.max(logp, axis=1, keepdims=True)
    mx = np.where(np.isfinite(mx), mx, 0.0)
    e = np.exp(logp - mx)
    tot = e.sum(axis=1, keepdims=True)
    return np.asarray(np.where(tot > 0, e / np.where(tot > 0, tot, 1.0), 0.0), dtype=np.float64)


__all__ = ["GENERATION_FILE", "LinkOracle", "generation_record"]
