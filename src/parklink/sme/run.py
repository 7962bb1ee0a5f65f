"""Matching as runs over an inputs bundle: the universe and candidate index are built once per
bundle, results carry the inputs fingerprint (:func:`parklink.configs.fingerprint`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from parklink.configs import fingerprint
from parklink.errors import NotFoundError
from parklink.sme.build import Universe
from parklink.sme.engine import Index, MatchConfig
from parklink.sme.match import MatchResult, match_needs, match_services, match_suppliers


def universe(inputs: Any, *, before: int | None = None) -> Universe:
    """The matching universe of ``inputs`` (built once per bundle and cut-off year)."""
    return inputs._once(("sme_universe", before), lambda: Universe.from_inputs(inputs, before=before))  # type: ignore[no-any-return]


def supplier_index(inputs: Any, config: MatchConfig) -> Index:
    """The enterprise candidate index of ``inputs`` for ``config`` (built once per bundle)."""
    uni = universe(inputs)
    key = ("sme_index", config.ngram_min, config.ngram_max, config.stop_df, config.stop_min)
    return inputs._once(key, lambda: Index.build(uni.enterprise_side(), config))  # type: ignore[no-any-return]


def _with_meta(inputs: Any, result: MatchResult) -> MatchResult:
    fp = fingerprint(inputs, result.config)
    return replace(result, meta={"fingerprint": fp.digest, "data_version": inputs.data_version,
                                 "source": inputs.source})


def run_need(inputs: Any, item_ids: list[str], config: MatchConfig | None = None) -> MatchResult:
    """Suppliers for the 供需清单 needs ``item_ids``."""
    cfg = config or MatchConfig()
    items = inputs.frame("supply_demand")
    needs = items[items["item_id"].isin(item_ids) & (items["direction"] == "need")]
    if needs.empty:
        raise NotFoundError(f"no need with id (未找到需求) {', '.join(item_ids)}")
    res = match_needs(universe(inputs), needs.reset_index(drop=True), inputs.frame("parks"), cfg,
                      index=replace(supplier_index(inputs, cfg), config=cfg))
    return _with_meta(inputs, res)


def run_enterprise(inputs: Any, enterprise_id: str, config: MatchConfig | None = None) -> list[MatchResult]:
    """Suppliers for ``enterprise_id`` as a buyer and, when it has an SME profile, service
    offers it is eligible for."""
    cfg = config or MatchConfig()
    uni = universe(inputs)
    if enterprise_id not in uni.node_pos:
        raise NotFoundError(f"unknown enterprise (未知企业) {enterprise_id}")
    out = [_with_meta(inputs, match_suppliers(uni, [enterprise_id], cfg,
                                              index=replace(supplier_index(inputs, cfg), config=cfg)))]
    prof = inputs.frame("sme_profiles")
    offers = inputs.frame("service_offers")
    if len(offers) and enterprise_id in set(prof["enterprise_id"].astype(str)):
        out.append(_with_meta(inputs, match_services(uni, prof, offers, inputs.frame("service_providers"),
                                                     inputs.frame("parks"), [enterprise_id], cfg)))
    return out


def run_match(inputs: Any, target: str, *, k: int = 10) -> list[MatchResult]:
    """``target`` is a need's item_id (→ suppliers) or an enterprise id (→ suppliers, services)."""
    cfg = MatchConfig(k=k)
    items = inputs.frame("supply_demand")
    if len(items) and target in set(items.loc[items["direction"] == "need", "item_id"].astype(str)):
        return [run_need(inputs, [target], cfg)]
    return run_enterprise(inputs, target, cfg)


def needs_frame(inputs: Any) -> pd.DataFrame:
    """The 供需清单 needs of the bundle."""
    items: pd.DataFrame = inputs.frame("supply_demand")
    return items[items["direction"] == "need"].reset_index(drop=True)
