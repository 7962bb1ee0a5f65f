"""Matching runs: need ↔ supplier, leader ↔ supplier and SME ↔ service, with reasons in zh/en.

Each run builds the two sides from a :class:`parklink.sme.build.Universe`, ranks with
:func:`parklink.sme.engine.match` and returns a frozen :class:`MatchResult` whose table names
the candidates (enterprise names where the registry has them; synthetic ones labelled) and
gives each match a reason in Chinese and English made of its strongest score components.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from parklink import tables as t
from parklink.errors import NotFoundError
from parklink.results import frozen_tables
from parklink.sme.build import Universe
from parklink.sme.engine import COMPONENTS, Index, MatchConfig, Ranking, Side, match
from parklink.sme.registry import sme_view
from parklink.vocab import MATCH_COMPONENT_NAMES, MATCH_KIND_NAMES, SERVICE_NAMES


@dataclass(frozen=True, eq=False)
class MatchResult:
    """Ranked matches of one run: ``table`` (one row per query and rank), the queries, the
    configuration and bilingual notes; follows :class:`parklink.results.Result`."""

    kind: str
    table: pd.DataFrame
    queries: pd.DataFrame
    config: MatchConfig
    notes: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Matches: query_id, rank, candidate_id, names, score, components, reason_zh/en."""
        return self.table.copy()

    def explain(self) -> Mapping[str, pd.DataFrame]:
        """Read-only: the queries (with how many candidates were relevant) and the weights
        (a learned ranking: its fitted standardised weights; otherwise the documented ones)."""
        if self.meta.get("weights"):
            return frozen_tables({"queries": self.queries, "weights": pd.DataFrame(list(self.meta["weights"]))})
        w = self.config.weights
        weights = pd.DataFrame({"component": list(COMPONENTS),
                                "name_zh": [MATCH_COMPONENT_NAMES[c][0] for c in COMPONENTS],
                                "name_en": [MATCH_COMPONENT_NAMES[c][1] for c in COMPONENTS],
                                "weight": [getattr(w, c) for c in COMPONENTS]})
        return frozen_tables({"queries": self.queries, "weights": weights})

    def summary(self) -> dict[str, Any]:
        """Key figures: kind, queries, matches, mean score, queries without a match."""
        tab = self.table
        zh, en = MATCH_KIND_NAMES[self.kind]
        return {"kind": self.kind, "kind_zh": zh, "kind_en": en, "queries": len(self.queries),
                "matches": len(tab),
                "queries_without_match": int((self.queries["relevant"] == 0).sum()) if len(self.queries) else 0,
                "mean_top1_score": float(tab.loc[tab["rank"] == 1, "score"].mean()) if len(tab) else None,
                "k": self.config.k, "config": self.config.to_dict(), "notes": list(self.notes), **dict(self.meta)}


def _fmt(x: float) -> str:
    return f"{x:.2f}"


def reasons(comp: np.ndarray, *, segment: str | None, segment_en: str | None, hours: float | None,
            certs: tuple[int, int], partners: int, offer: str | None, weights: np.ndarray
            ) -> tuple[str, str]:
    """A match's reason (zh, en): its components with a positive contribution, strongest first."""
    contrib = comp * weights
    order = [j for j in np.argsort(-contrib, kind="stable") if contrib[j] > 0]
    zh: list[str] = []
    en: list[str] = []
    for j in order:
        c = COMPONENTS[j]
        v = float(comp[j])
        if c == "text":
            zh.append(f"文本相似度{_fmt(v)}")
            en.append(f"text similarity {_fmt(v)}")
        elif c == "segment":
            zh.append(f"产业链环节匹配“{segment or ''}”")
            en.append(f"chain segment match ({segment_en or ''})")
        elif c == "certification":
            zh.append(f"满足资质{certs[0]}/{certs[1]}项")
            en.append(f"holds {certs[0]} of {certs[1]} certifications required")
        elif c == "travel" and hours is not None:
            zh.append("同一区县" if hours < 0.05 else f"货运约{hours:.1f}小时")
            en.append("same district" if hours < 0.05 else f"about {hours:.1f} h by freight")
        elif c == "capacity":
            full = v >= 0.995
            zh.append("产能满足需求" if full else f"产能满足需求的{v:.0%}")
            en.append("capacity covers the need" if full else f"capacity covers {v:.0%} of the need")
        elif c == "tie":
            zh.append("已有供货关系")
            en.append("existing supply tie")
        elif c == "network":
            zh.append(f"有{partners}家共同合作伙伴")
            en.append(f"{partners} common partners")
    if offer:
        zh.append(f"已发布供给{offer}")
        en.append(f"posted offer {offer}")
    return "；".join(zh) or "无", "; ".join(en) or "none"


def _table(kind: str, uni: Universe, queries: Side, cands: Side, rank: Ranking, cfg: MatchConfig,
           names: pd.DataFrame, cand_hours: bool = True) -> pd.DataFrame:
    """The ranked table with names, components and reasons."""
    frame = rank.to_frame()
    if frame.empty:
        cols = ["query_id", "rank", "candidate_id", "name_zh", "name_en", "synthetic", "score",
                *COMPONENTS, "travel_h", "reason_zh", "reason_en"]
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    qi, ci = rank.query, rank.candidate
    frame.insert(0, "query_id", queries.ids[qi])
    frame.insert(2, "candidate_id", cands.ids[ci])
    nm = names.set_index("id")
    frame.insert(3, "name_zh", nm["name_zh"].reindex(frame["candidate_id"]).to_numpy())
    frame.insert(4, "name_en", nm["name_en"].reindex(frame["candidate_id"]).to_numpy())
    frame.insert(5, "synthetic", nm["synthetic"].reindex(frame["candidate_id"]).fillna(False).astype(bool).to_numpy())
    qz, cz = queries.zone[qi], cands.zone[ci]
    ok = (qz >= 0) & (cz >= 0)
    hours = np.where(ok, uni.hours[np.maximum(qz, 0), np.maximum(cz, 0)] if len(uni.hours) else np.nan, np.nan)
    frame["travel_h"] = np.round(hours, 2)
    # matched segment, certifications met, common partners, posted offers (top-k pairs only)
    seg_hit = sp.csr_matrix(queries.segments[qi].multiply(cands.segments[ci]))
    seg_ids = uni.segments["segment_id"].astype(str).to_numpy()
    seg_zh = uni.segments["name_zh"].astype(str).to_numpy()
    seg_en = uni.segments["name_en"].astype(str).to_numpy()
    adj = uni.graph.adjacency
    qn, cn = queries.node[qi], cands.node[ci]
    partners = np.zeros(len(frame), dtype=np.int64)
    okn = (qn >= 0) & (cn >= 0)
    if okn.any() and adj.shape[0]:
        partners[okn] = np.asarray(adj[qn[okn]].multiply(adj[cn[okn]]).sum(axis=1)).ravel().astype(np.int64)
    from parklink.sme.engine import _popcount

    req = queries.certs[qi]
    held = _popcount(req & cands.certs[ci]).astype(int)
    nreq = _popcount(req).astype(int)
    offers = nm["offer_ids"].reindex(frame["candidate_id"]).to_numpy() if "offer_ids" in nm else [None] * len(frame)
    w = cfg.weights.vector()
    comp = frame[list(COMPONENTS)].to_numpy()
    zh_r, en_r, seg_col = [], [], []
    for i in range(len(frame)):
        row = seg_hit.getrow(i)
        s = int(row.indices[0]) if row.nnz else -1
        seg_col.append(seg_ids[s] if s >= 0 else None)
        off = offers[i]
        off_s = str(off).split(";")[0] if isinstance(off, str) and off else None
        z, e = reasons(comp[i], segment=seg_zh[s] if s >= 0 else None, segment_en=seg_en[s] if s >= 0 else None,
                       hours=float(hours[i]) if np.isfinite(hours[i]) else None,
                       certs=(int(held[i]), int(nreq[i])), partners=int(partners[i]), offer=off_s, weights=w)
        zh_r.append(z)
        en_r.append(e)
    frame["matched_segment"] = seg_col
    frame["common_partners"] = partners
    frame["reason_zh"] = zh_r
    frame["reason_en"] = en_r
    frame["score"] = frame["score"].round(4)
    for c in COMPONENTS:
        frame[c] = frame[c].round(4)
    return frame.drop(columns=["query", "candidate"])


def _names(uni: Universe) -> pd.DataFrame:
    e = uni.enterprises
    return pd.DataFrame({"id": e["enterprise_id"], "name_zh": e["name_zh"], "name_en": e["name_en"],
                         "synthetic": e["synthetic"].fillna(False).astype(bool), "offer_ids": e["offer_ids"]})


def _queries_frame(ids: np.ndarray, titles_zh: list[str], titles_en: list[str], rank: Ranking) -> pd.DataFrame:
    return pd.DataFrame({"query_id": ids, "title_zh": titles_zh, "title_en": titles_en, "relevant": rank.relevant})


def match_needs(uni: Universe, needs: pd.DataFrame, parks: pd.DataFrame, config: MatchConfig | None = None,
                *, index: Index | None = None) -> MatchResult:
    """Suppliers (enterprises, with SME profiles and posted offers) for 供需清单 needs; the
    needing enterprise itself is never its own match."""
    cfg = config or MatchConfig()
    if needs.empty:
        raise NotFoundError("no needs to match (没有需求条目)")
    cands = uni.enterprise_side()
    idx = index or Index.build(cands, cfg)
    q = uni.need_side(needs, parks)
    rank = match(idx, q, decay=uni.decay(cfg.travel_scale_h), graph=uni.graph)
    table = _table("need_offer", uni, q, cands, rank, cfg, _names(uni))
    qf = _queries_frame(q.ids, needs["title_zh"].astype(str).tolist(), needs["title_en"].astype(str).tolist(), rank)
    return MatchResult("need_offer", table, qf, cfg, _notes(uni))


def match_suppliers(uni: Universe, enterprise_ids: list[str], config: MatchConfig | None = None,
                    *, index: Index | None = None) -> MatchResult:
    """Suppliers for enterprises as buyers (leader ↔ supplier): candidates in the input
    segments of the buyer's segments, by text, travel time, ties and network signal."""
    cfg = config or MatchConfig()
    missing = [e for e in enterprise_ids if e not in uni.node_pos]
    if missing:
        raise NotFoundError(f"unknown enterprise (未知企业): {', '.join(missing[:5])}")
    cands = uni.enterprise_side()
    idx = index or Index.build(cands, cfg)
    q = uni.buyer_side(enterprise_ids)
    rank = match(idx, q, decay=uni.decay(cfg.travel_scale_h), graph=uni.graph)
    table = _table("leader_supplier", uni, q, cands, rank, cfg, _names(uni))
    e = uni.enterprises.set_index("enterprise_id").loc[enterprise_ids]
    qf = _queries_frame(q.ids, e["name_zh"].astype(str).tolist(), e["name_en"].astype(str).tolist(), rank)
    return MatchResult("leader_supplier", table, qf, cfg, _notes(uni))


def eligibility(smes: pd.DataFrame, offers: pd.DataFrame, *, on: dt.date | None = None) -> sp.csr_matrix:
    """SMEs × offers 0/1: the offer's park (if any) is the SME's, the SME's active tier is in
    the offer's eligible tiers and its size class in the eligible sizes (empty = any), the
    offer is still valid on ``on``."""
    on = on or dt.date.today()
    view = sme_view(smes, on=on)
    rows, cols = [], []
    for j, o in enumerate(offers.to_dict("records")):
        tiers = set(t.split_list(o["eligible_tiers"]))
        sizes = set(t.split_list(o["eligible_sizes"]))
        until = o.get("valid_until")
        if until is not None and not pd.isna(until) and pd.Timestamp(until).date() < on:
            continue
        ok = np.ones(len(view), dtype=bool)
        if isinstance(o["park_id"], str) and o["park_id"]:
            ok &= (view["park_id"].astype(object) == o["park_id"]).to_numpy()
        if tiers:
            ok &= view["tier_active"].isin(tiers).to_numpy()
        if sizes:
            ok &= view["size"].isin(sizes).to_numpy()
        idx = np.flatnonzero(ok)
        rows += idx.tolist()
        cols += [j] * len(idx)
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(view), len(offers)))


def match_services(uni: Universe, profiles: pd.DataFrame, offers: pd.DataFrame, providers: pd.DataFrame,
                   parks: pd.DataFrame, enterprise_ids: list[str], config: MatchConfig | None = None,
                   *, on: dt.date | None = None) -> MatchResult:
    """Service offers for SMEs: only offers the SME is eligible for; every eligible offer is
    relevant, ranked by text, segments served and the provider's travel time."""
    cfg = config or MatchConfig()
    prof = profiles.set_index(profiles["enterprise_id"].astype(str))
    missing = [e for e in enterprise_ids if e not in prof.index]
    if missing:
        raise NotFoundError(f"no SME profile (无中小企业档案): {', '.join(missing[:5])}")
    if offers.empty:
        raise NotFoundError("no service offers (没有服务产品)")
    cands = uni.offer_side(offers, providers, parks)
    idx = Index.build(cands, cfg)
    q = uni.sme_side(enterprise_ids)
    allowed = eligibility(prof.loc[enterprise_ids].reset_index(drop=True), offers, on=on)
    rank = match(idx, q, decay=uni.decay(cfg.travel_scale_h), graph=uni.graph, allowed=allowed, relevant=allowed)
    pn = providers.set_index("provider_id")
    names = pd.DataFrame({"id": offers["offer_id"],
                          "name_zh": offers["title_zh"] + "（" + offers["provider_id"].map(pn["name_zh"]).fillna("") + "）",
                          "name_en": offers["title_en"] + " (" + offers["provider_id"].map(pn["name_en"]).fillna("") + ")",
                          "synthetic": offers["synthetic"].fillna(False).astype(bool)})
    table = _table("sme_service", uni, q, cands, rank, cfg, names)
    table["service"] = table["candidate_id"].map(offers.set_index("offer_id")["service"])
    table["service_zh"] = table["service"].map(lambda s: SERVICE_NAMES.get(str(s), (s, s))[0])
    table["service_en"] = table["service"].map(lambda s: SERVICE_NAMES.get(str(s), (s, s))[1])
    p = prof.loc[enterprise_ids]
    qf = _queries_frame(q.ids, p["name_zh"].astype(str).tolist(), p["name_en"].astype(str).tolist(), rank)
    return MatchResult("sme_service", table, qf, cfg, _notes(uni))


def _notes(uni: Universe) -> tuple[str, ...]:
    syn = bool(uni.enterprises["synthetic"].fillna(False).astype(bool).any())
    return ("含合成企业（标注为合成）；synthetic firms included, labelled synthetic",) if syn else ()
