"""Builders: the registry and firm data of an inputs bundle as the two sides of the matcher.

:class:`Universe` is built once per bundle (and per cut-off year): every enterprise (registry
enterprises and the firm dataset, with their SME profiles and open offers merged in), the
segment vocabulary, the zones (district seats) with the freight travel-time matrix, and the
transaction graph. Its methods turn needs, leaders, SMEs and offers into
:class:`parklink.sme.engine.Side` records.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from parklink import tables as t
from parklink.sme.engine import FloatArray, Graph, Side
from parklink.vocab import CERTIFICATION_NAMES, PROCESS_NAMES, SERVICE_NAMES

CERT_BIT = {c: 1 << i for i, c in enumerate(t.CERTIFICATIONS)}


def _s(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def cert_mask(text: Any) -> int:
    """Bit mask of the certification codes in a ``;``-joined cell."""
    return int(sum(CERT_BIT.get(c, 0) for c in set(t.split_list(text))))


def process_text(text: Any) -> str:
    """Bilingual labels of the process codes in a ``;``-joined cell."""
    return " ".join(f"{PROCESS_NAMES[p][0]} {PROCESS_NAMES[p][1]}" for p in t.split_list(text)
                    if p in PROCESS_NAMES)


def read_transactions(inputs: Any, *, before: int | None = None) -> pd.DataFrame:
    """Supplier → buyer links (``supplier_id, buyer_id, year``) of the firm dataset, years
    < ``before`` when given; empty without a firm dataset."""
    firms = getattr(inputs, "firms", None)
    if firms is None or not firms.exists():
        return pd.DataFrame({"supplier_id": [], "buyer_id": [], "year": []})
    parts = sorted(glob.glob(firms.transactions_glob))
    frame = pd.concat([pd.read_parquet(p, columns=["supplier_id", "buyer_id", "year"]) for p in parts],
                      ignore_index=True) if parts else pd.DataFrame(columns=["supplier_id", "buyer_id", "year"])
    if before is not None:
        frame = frame[frame["year"] < before]
    return frame.astype({"supplier_id": str, "buyer_id": str})


@dataclass(frozen=True, eq=False)
class Universe:
    """Enterprises, segments, zones, travel times and the transaction graph of one bundle."""

    enterprises: pd.DataFrame  # one row per enterprise, columns below
    segments: pd.DataFrame  # chain template
    seg_pos: dict[str, int]
    zones: list[str]  # adcodes of district seats
    zone_pos: dict[str, int]
    hours: FloatArray  # zone × zone freight travel time, hours
    graph: Graph
    node_pos: dict[str, int]  # enterprise id -> graph node (= row of ``enterprises``)
    links: pd.DataFrame  # the transactions the graph was built from

    @classmethod
    def from_inputs(cls, inputs: Any, *, before: int | None = None, travel: Any = None) -> Universe:
        """Build from an inputs bundle (:mod:`parklink.inputs`); ``before`` keeps only links of
        earlier years in the graph (time-split evaluation); ``travel`` overrides the bundle's
        network travel time (a :data:`parklink.evaluate.location.TravelTime`)."""
        ent = inputs.frame("enterprises")
        if inputs.firms is not None and inputs.firms.firms_path.is_file():
            ent = inputs.enterprises(synthetic_firms=True)
        regions = inputs.frame("regions")
        links = read_transactions(inputs, before=before)
        return cls.from_frames(ent, inputs.frame("chain_segments"), regions, inputs.frame("parks"),
                               inputs.frame("sme_profiles"), inputs.frame("supply_demand"), links,
                               travel if travel is not None else inputs.travel_time())

    @classmethod
    def from_frames(cls, enterprises: pd.DataFrame, segments: pd.DataFrame, regions: pd.DataFrame,
                    parks: pd.DataFrame, profiles: pd.DataFrame, items: pd.DataFrame, links: pd.DataFrame,
                    travel: Any) -> Universe:
        """Build from canonical frames (see :meth:`from_inputs`)."""
        ent = enterprises[["enterprise_id", "name_zh", "name_en", "adcode", "park_id", "segments",
                           "leading", "synthetic"]].copy()
        ent["enterprise_id"] = ent["enterprise_id"].astype(str)
        prof = profiles.copy()
        prof["enterprise_id"] = prof["enterprise_id"].astype(str)
        extra = prof[~prof["enterprise_id"].isin(set(ent["enterprise_id"]))]
        if len(extra):  # SMEs known only by their profile
            ent = pd.concat([ent, extra.assign(leading=False)[list(ent.columns)]], ignore_index=True)
        ent = ent.drop_duplicates("enterprise_id").reset_index(drop=True)
        p = prof.set_index("enterprise_id")
        for col in ("products", "processes", "certifications", "capacity", "capacity_unit", "tier"):
            ent[col] = ent["enterprise_id"].map(p[col]) if len(p) else None
        seg_from_profile = ent["enterprise_id"].map(p["segments"]) if len(p) else pd.Series(None, index=ent.index)
        ent["segments"] = ent["segments"].where(ent["segments"].notna(), seg_from_profile)
        pa = ent["enterprise_id"].map(p["park_id"]) if len(p) else pd.Series(None, index=ent.index)
        ent["park_id"] = ent["park_id"].where(ent["park_id"].notna(), pa)
        park_ad = parks.set_index("park_id")["adcode"] if len(parks) else pd.Series(dtype=object)
        if len(p):
            ent["adcode"] = ent["adcode"].where(ent["adcode"].notna(), ent["enterprise_id"].map(p["adcode"]))
        ent["adcode"] = ent["adcode"].where(ent["adcode"].notna(), ent["park_id"].map(park_ad))
        offers = items[(items["direction"] == "offer") & (items["status"] == "open")] if len(items) else items
        ent["offer_ids"] = ent["enterprise_id"].map(
            offers.groupby("enterprise_id")["item_id"].agg(";".join)) if len(offers) else None
        ent["offer_text"] = ent["enterprise_id"].map(
            offers.assign(tx=offers["title_zh"].astype(str) + " " + offers["part"].fillna("").astype(str))
            .groupby("enterprise_id")["tx"].agg(" ".join)) if len(offers) else None
        seg_ids = segments["segment_id"].astype(str).tolist()
        seg_pos = {s: i for i, s in enumerate(seg_ids)}
        # zones: district seats
        d = regions[regions["seat_lon"].notna() & regions["seat_lat"].notna()]
        zones = d["adcode"].astype(str).tolist()
        zone_pos = {z: i for i, z in enumerate(zones)}
        pts = d[["seat_lon", "seat_lat"]].to_numpy(dtype=np.float64)
        hours = np.asarray(travel(pts, pts), dtype=np.float64) if len(pts) else np.zeros((0, 0))
        node_pos = {e: i for i, e in enumerate(ent["enterprise_id"])}
        a = links["supplier_id"].map(node_pos)
        b = links["buyer_id"].map(node_pos)
        ok = a.notna() & b.notna()
        graph = Graph.from_edges(len(ent), a[ok].to_numpy(np.int64), b[ok].to_numpy(np.int64))
        return cls(ent, segments.reset_index(drop=True), seg_pos, zones, zone_pos, hours, graph, node_pos,
                   links[ok.to_numpy()].reset_index(drop=True))

    # ------------------------------------------------------------------ helpers
    def decay(self, scale_h: float) -> FloatArray:
        """exp(−hours / scale) over zone pairs."""
        return np.exp(-self.hours / scale_h)

    def _seg_text(self, seg_ids: list[str], *, keywords: bool = True) -> str:
        tpl = self.segments
        parts = []
        for s in seg_ids:
            i = self.seg_pos.get(s)
            if i is None:
                continue
            row = tpl.iloc[i]
            parts.append(f"{row['name_zh']} {row['name_en']}")
            if keywords:
                parts.append(" ".join(t.split_list(row.get("keywords_include"))))
        return " ".join(parts)

    def segment_inputs(self, seg_id: str) -> list[str]:
        """Input segments of ``seg_id`` in the template."""
        i = self.seg_pos.get(seg_id)
        return [] if i is None else [s for s in t.split_list(self.segments.iloc[i].get("inputs")) if s in self.seg_pos]

    def _seg_matrix(self, wanted: list[list[str]]) -> sp.csr_matrix:
        rows, cols = [], []
        for r, segs in enumerate(wanted):
            for s in dict.fromkeys(segs):
                if s in self.seg_pos:
                    rows.append(r)
                    cols.append(self.seg_pos[s])
        return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(wanted), len(self.seg_pos)))

    def _zone(self, adcodes: pd.Series) -> np.ndarray:
        return np.array([self.zone_pos.get(_s(a), -1) for a in adcodes], dtype=np.int64)

    def _node(self, ids: pd.Series) -> np.ndarray:
        return np.array([self.node_pos.get(_s(e), -1) for e in ids], dtype=np.int64)

    # ------------------------------------------------------------------ sides
    def enterprise_side(self, rows: pd.DataFrame | None = None) -> Side:
        """Enterprises as candidates (suppliers): text = segment names and keywords, products,
        process labels, certification labels, open offers; real names only (synthetic names
        carry no information)."""
        e = self.enterprises if rows is None else rows
        text = []
        for r in e.to_dict("records"):
            segs = t.split_list(r["segments"])
            name = "" if bool(r["synthetic"]) else f"{_s(r['name_zh'])} {_s(r['name_en'])}"
            certs = " ".join(CERTIFICATION_NAMES[c][1] for c in t.split_list(r["certifications"])
                             if c in CERTIFICATION_NAMES)
            text.append(" ".join(x for x in (name, self._seg_text(segs), _s(r["products"]),
                                             process_text(r["processes"]), certs, _s(r["offer_text"])) if x))
        cap = pd.to_numeric(e["capacity"], errors="coerce").to_numpy(dtype=np.float64)
        return Side(e["enterprise_id"].to_numpy(dtype=object), text,
                    self._seg_matrix([t.split_list(s) for s in e["segments"]]),
                    np.array([cert_mask(c) for c in e["certifications"]], dtype=np.int64),
                    self._zone(e["adcode"]), cap, e["capacity_unit"].fillna("").astype(str).to_numpy(dtype=object),
                    self._node(e["enterprise_id"]))

    def need_side(self, needs: pd.DataFrame, parks: pd.DataFrame) -> Side:
        """供需清单 needs as queries: title, part and processes as text, the need's segment,
        required certifications, the poster's district (enterprise, else park), quantity."""
        ent_ad = self.enterprises.set_index("enterprise_id")["adcode"]
        park_ad = parks.set_index("park_id")["adcode"] if len(parks) else pd.Series(dtype=object)
        ad = needs["enterprise_id"].map(ent_ad)
        ad = ad.where(ad.notna(), needs["park_id"].map(park_ad))
        text = [" ".join(x for x in (_s(r["title_zh"]), _s(r["title_en"]), _s(r["part"]),
                                     process_text(r["processes"])) if x) for r in needs.to_dict("records")]
        return Side(needs["item_id"].to_numpy(dtype=object), text,
                    self._seg_matrix([[_s(s)] for s in needs["segment_id"]]),
                    np.array([cert_mask(c) for c in needs["certifications"]], dtype=np.int64),
                    self._zone(ad), pd.to_numeric(needs["quantity"], errors="coerce").to_numpy(np.float64),
                    needs["quantity_unit"].fillna("").astype(str).to_numpy(dtype=object),
                    self._node(needs["enterprise_id"]))

    def buyer_side(self, ids: list[str]) -> Side:
        """Enterprises as buyers (leader ↔ supplier): text and wanted segments are the input
        segments of the enterprise's own segments."""
        e = self.enterprises.set_index("enterprise_id").loc[ids].reset_index()
        wanted = [[i for s in t.split_list(segs) for i in self.segment_inputs(s)] for segs in e["segments"]]
        text = [self._seg_text(w) for w in wanted]
        n = len(e)
        return Side(e["enterprise_id"].to_numpy(dtype=object), text, self._seg_matrix(wanted),
                    np.zeros(n, dtype=np.int64), self._zone(e["adcode"]), np.full(n, np.nan),
                    np.full(n, "", dtype=object), self._node(e["enterprise_id"]))

    def sme_side(self, ids: list[str]) -> Side:
        """SMEs as seekers of services: products, processes and segment names as text."""
        e = self.enterprises.set_index("enterprise_id").loc[ids].reset_index()
        text = [" ".join(x for x in (_s(r["products"]), process_text(r["processes"]),
                                     self._seg_text(t.split_list(r["segments"]), keywords=False)) if x)
                for r in e.to_dict("records")]
        n = len(e)
        return Side(e["enterprise_id"].to_numpy(dtype=object), text,
                    self._seg_matrix([t.split_list(s) for s in e["segments"]]), np.zeros(n, dtype=np.int64),
                    self._zone(e["adcode"]), np.full(n, np.nan), np.full(n, "", dtype=object),
                    np.full(n, -1, dtype=np.int64))

    def offer_side(self, offers: pd.DataFrame, providers: pd.DataFrame, parks: pd.DataFrame) -> Side:
        """Service offers as candidates: title, description and service label as text, the
        segments served, the provider's district (or its park's)."""
        prov = providers.set_index("provider_id")
        park_ad = parks.set_index("park_id")["adcode"] if len(parks) else pd.Series(dtype=object)
        ad = offers["provider_id"].map(prov["adcode"]) if len(prov) else pd.Series(None, index=offers.index)
        ad = ad.where(ad.notna(), offers["provider_id"].map(prov["park_id"]).map(park_ad)) if len(prov) else ad
        text = [" ".join(x for x in (_s(r["title_zh"]), _s(r["title_en"]), _s(r["description"]),
                                     " ".join(SERVICE_NAMES.get(_s(r["service"]), ("", "")))) if x)
                for r in offers.to_dict("records")]
        n = len(offers)
        return Side(offers["offer_id"].to_numpy(dtype=object), text,
                    self._seg_matrix([t.split_list(s) for s in offers["segments"]]), np.zeros(n, dtype=np.int64),
                    self._zone(ad), np.full(n, np.nan), np.full(n, "", dtype=object), np.full(n, -1, dtype=np.int64))
