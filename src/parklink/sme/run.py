"""Matching as runs over an inputs bundle: the universe, the candidate index and the learned
supplier ranker are built once per bundle; results carry the inputs fingerprint
(:func:`parklink.configs.fingerprint`).

One answer: the CLI (``parklink match``), the API (``/api/needs/{id}/matches``,
``/api/sme/{id}/matches``) and the pages call :func:`run_need` / :func:`run_enterprise` here.

* leader ↔ supplier: the **learned** ranking (:mod:`parklink.sme.learned`) by default, with its
  fitted weights in the result (``summary()["weights"]``); ``MatchConfig(supplier_ranking="hand")``
  (CLI ``--hand-weights``, API ``?ranking=hand``) keeps the documented hand weights as an explicit
  baseline. When no model can be fitted (no firm dataset, one year of links, no new link in the
  last year) the hand weights are used and the result says why (``meta["not_learned"]``).
* need ↔ offer and SME ↔ service: documented weights, **not learned** — there are no recorded
  outcomes (accepted matches) to learn from; every result says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from parklink.configs import fingerprint
from parklink.errors import NotFoundError, ParklinkError
from parklink.sme.build import Universe
from parklink.sme.engine import Index, MatchConfig
from parklink.sme.learned import FittedRanker, fit_supplier_ranker, learned_suppliers
from parklink.sme.match import MatchResult, match_needs, match_services, match_suppliers

#: The note of every result ranked with documented (not fitted) weights for lack of outcomes.
NOT_LEARNED_NO_OUTCOMES = ("未学习：没有已记录的匹配结果（成交/采纳），使用文档中的权重 not learned: no recorded "
                           "outcomes (accepted matches) to learn from; documented weights (docs/sme.md)")
HAND_BASELINE = ("人工权重（对照基线；默认为学习型排序）hand weights: the explicit baseline "
                 "(the default is the learned ranking)")


@dataclass(frozen=True, eq=False)
class SupplierModel:
    """The learned leader ↔ supplier ranker of a bundle, or why there is none."""

    fitted: FittedRanker | None
    reason: str = ""


def universe(inputs: Any, *, before: int | None = None) -> Universe:
    """The matching universe of ``inputs`` (built once per bundle and cut-off year)."""
    return inputs._once(("sme_universe", before), lambda: Universe.from_inputs(inputs, before=before))  # type: ignore[no-any-return]


def supplier_index(inputs: Any, config: MatchConfig) -> Index:
    """The enterprise candidate index of ``inputs`` for ``config`` (built once per bundle)."""
    uni = universe(inputs)
    key = ("sme_index", config.ngram_min, config.ngram_max, config.stop_df, config.stop_min)
    return inputs._once(key, lambda: Index.build(uni.enterprise_side(), config))  # type: ignore[no-any-return]


def supplier_model(inputs: Any) -> SupplierModel:
    """The learned supplier ranker of ``inputs``, fitted once per bundle (the bundle is cached
    by data version and firm-dataset fingerprint, in the web app by
    :func:`parklink.web.park_analyses.web_inputs`); ``fitted`` is None with a bilingual
    ``reason`` when the data cannot train one."""
    def fit() -> SupplierModel:
        cfg = MatchConfig()
        try:
            return SupplierModel(fit_supplier_ranker(inputs, config=cfg, universe=universe(inputs),
                                                     index=supplier_index(inputs, cfg)))
        except ParklinkError as exc:
            return SupplierModel(None, str(exc))

    key = ("sme_supplier_model", inputs.data_version, inputs.firm_version())
    return inputs._once(key, fit)  # type: ignore[no-any-return]


def _with_meta(inputs: Any, result: MatchResult, config: MatchConfig | None = None,
               notes: tuple[str, ...] = (), **meta: Any) -> MatchResult:
    fp = fingerprint(inputs, config or result.config)
    return replace(result, notes=(*notes, *result.notes),
                   meta={**dict(result.meta), **meta, "fingerprint": fp.digest,
                         "data_version": inputs.data_version, "source": inputs.source})


def run_need(inputs: Any, item_ids: list[str], config: MatchConfig | None = None) -> MatchResult:
    """Suppliers for the 供需清单 needs ``item_ids`` (documented weights, not learned)."""
    cfg = config or MatchConfig()
    items = inputs.frame("supply_demand")
    needs = items[items["item_id"].isin(item_ids) & (items["direction"] == "need")]
    if needs.empty:
        raise NotFoundError(f"no need with id (未找到需求) {', '.join(item_ids)}")
    res = match_needs(universe(inputs), needs.reset_index(drop=True), inputs.frame("parks"), cfg,
                      index=replace(supplier_index(inputs, cfg), config=cfg))
    return _with_meta(inputs, res, notes=(NOT_LEARNED_NO_OUTCOMES,), learned=False,
                      ranking="documented_weights")


def run_suppliers(inputs: Any, enterprise_id: str, config: MatchConfig | None = None,
                  model: SupplierModel | None = None) -> MatchResult:
    """Suppliers for ``enterprise_id`` as a buyer: the learned ranking unless
    ``config.supplier_ranking == "hand"`` or no model can be fitted (see the module docstring).
    ``model`` overrides :func:`supplier_model` (the web app passes its cached one)."""
    cfg = config or MatchConfig()
    uni = universe(inputs)
    if enterprise_id not in uni.node_pos:
        raise NotFoundError(f"unknown enterprise (未知企业) {enterprise_id}")
    if cfg.supplier_ranking == "learned":
        m = model if model is not None else supplier_model(inputs)
        if m.fitted is not None:
            return _with_meta(inputs, learned_suppliers(m.fitted, enterprise_id, k=cfg.k), cfg)
        hand = match_suppliers(uni, [enterprise_id], cfg, index=replace(supplier_index(inputs, cfg), config=cfg))
        why = f"未学习：无法拟合模型 not learned: no model could be fitted ({m.reason}); documented hand weights"
        return _with_meta(inputs, hand, cfg, notes=(why,), learned=False, ranking="hand", not_learned=m.reason)
    hand = match_suppliers(uni, [enterprise_id], cfg, index=replace(supplier_index(inputs, cfg), config=cfg))
    return _with_meta(inputs, hand, cfg, notes=(HAND_BASELINE,), learned=False, ranking="hand")


def run_enterprise(inputs: Any, enterprise_id: str, config: MatchConfig | None = None,
                   model: SupplierModel | None = None) -> list[MatchResult]:
    """Suppliers for ``enterprise_id`` as a buyer (:func:`run_suppliers`) and, when it has an
    SME profile, the service offers it is eligible for (documented weights, not learned)."""
    cfg = config or MatchConfig()
    out = [run_suppliers(inputs, enterprise_id, cfg, model)]
    prof = inputs.frame("sme_profiles")
    offers = inputs.frame("service_offers")
    if len(offers) and enterprise_id in set(prof["enterprise_id"].astype(str)):
        out.append(_with_meta(inputs, match_services(universe(inputs), prof, offers, inputs.frame("service_providers"),
                                                     inputs.frame("parks"), [enterprise_id], cfg),
                              notes=(NOT_LEARNED_NO_OUTCOMES,), learned=False, ranking="documented_weights"))
    return out


def run_match(inputs: Any, target: str, *, k: int = 10, supplier_ranking: str = "learned") -> list[MatchResult]:
    """``target`` is a need's item_id (→ suppliers) or an enterprise id (→ suppliers, services)."""
    cfg = MatchConfig(k=k, supplier_ranking=supplier_ranking)
    items = inputs.frame("supply_demand")
    if len(items) and target in set(items.loc[items["direction"] == "need", "item_id"].astype(str)):
        return [run_need(inputs, [target], cfg)]
    return run_enterprise(inputs, target, cfg)


def needs_frame(inputs: Any) -> pd.DataFrame:
    """The 供需清单 needs of the bundle."""
    items: pd.DataFrame = inputs.frame("supply_demand")
    return items[items["direction"] == "need"].reset_index(drop=True)
