"""The seeded synthetic default of SMEs, services and supply–demand items (labelled synthetic).

Built from the synthetic firm population (:mod:`parklink.datasets.synthetic`, the firm
dataset's ``firms.parquet``) and the chain template, for demonstration only: every row has
``synthetic = true`` and confidence ``synthetic``; nothing here is a fact.

* **SME profiles**: a seeded sample of the non-large firms located in a park; industry
  工业; employees and revenue from the firm (revenue ≈ the firm's output, million CNY) so the
  size class follows from :mod:`parklink.sme.classification`; a 专精特新 tier with
  probabilities rising with size (recognition years 2020–2025); processes drawn from the
  chain's process pool; products = 1–3 keywords of the firm's segment; certifications by
  chain; annual capacity ∝ revenue.
* **Service providers and offers**: for a sample of parks, a technical, a financial and an
  outsourcing provider with 2–3 offers each (eligibility by tier/size for financial offers).
* **供需清单**: needs of the leading firms for the input segments of their own segment and
  needs of parks, and offers of sampled SMEs for their own products.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from parklink import tables as t
from parklink.store.io import coerce_frame

PROCESS_POOLS: dict[str, tuple[str, ...]] = {
    "auto": ("machining", "casting", "forging", "stamping", "injection_moulding", "welding",
             "heat_treatment", "surface_treatment", "wiring_harness", "assembly", "precision_moulds"),
    "moto": ("machining", "casting", "forging", "stamping", "welding", "surface_treatment", "assembly"),
    "electronics": ("pcb_assembly", "electronic_assembly", "injection_moulding", "precision_moulds",
                    "surface_treatment", "software", "testing"),
    "biomed": ("chemical_synthesis", "formulation", "sterile_filling", "testing", "injection_moulding"),
}
CERT_POOLS: dict[str, tuple[str, ...]] = {
    "auto": ("iatf16949", "iso14001"), "moto": ("iatf16949", "ccc"),
    "electronics": ("iso14001", "ul", "ccc"), "biomed": ("iso13485", "gmp"),
}
TIER_P = {"medium": (0.25, 0.15, 0.06), "small": (0.15, 0.06, 0.01), "micro": (0.05, 0.01, 0.0)}
_SERVICES = {
    "technical": (("testing", "检验检测服务", "testing service"), ("design", "工业设计服务", "industrial design"),
                  ("rnd", "联合研发", "joint R&D"), ("digital", "数字化转型诊断", "digital transformation audit")),
    "financial": (("loan", "专精特新贷", "loans for specialised SMEs"), ("guarantee", "融资担保", "loan guarantee"),
                  ("fund", "产业引导基金", "industry guidance fund"),
                  ("ip_pledge", "知识产权质押融资", "IP-pledge finance")),
    "outsourcing": (("contract_manufacturing", "外协加工", "contract manufacturing"),),
}


def _segments(template: pd.DataFrame) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for row in template.to_dict("records"):
        out[str(row["segment_id"])] = {
            "chain": str(row["chain"]), "zh": str(row["name_zh"]), "en": str(row["name_en"]),
            "level": str(row["level"]), "keywords": t.split_list(row.get("keywords_include")),
            "inputs": t.split_list(row.get("inputs")),
        }
    return out


def generate(firms: pd.DataFrame, template: pd.DataFrame, parks: pd.DataFrame, *, seed: int,
             n_profiles: int = 3000, n_park_providers: int = 24, today: dt.date | None = None
             ) -> dict[str, pd.DataFrame]:
    """Canonical frames of the four SME kinds (see the module docstring); deterministic in
    ``seed``. ``firms`` has the columns of ``tables.ENTERPRISES``; ``template`` is the chain
    template (``chain_segments``), ``parks`` the registry parks."""
    rng = np.random.default_rng([int(seed), 16])
    today = today or dt.date(2025, 6, 30)
    segs = _segments(template)
    known_parks = set(parks["park_id"].astype(str))
    pool = firms[(firms["size_class"] != "large") & firms["park_id"].notna() & firms["synthetic"].astype(bool)]
    pool = pool[pool["park_id"].astype(str).isin(known_parks)]
    pick = np.sort(rng.choice(len(pool), size=min(n_profiles, len(pool)), replace=False))
    chosen = pool.iloc[pick].reset_index(drop=True)
    rows = []
    for f in chosen.to_dict("records"):
        seg_ids = [s for s in t.split_list(f.get("segments")) if s in segs]
        seg = segs[seg_ids[0]] if seg_ids else None
        chain = str(f.get("chain") or (seg["chain"] if seg else "auto"))
        size = str(f["size_class"])
        p_inn, p_spec, p_giant = TIER_P.get(size, (0.0, 0.0, 0.0))
        u = rng.random()
        tier = "little_giant" if u < p_giant else "specialised" if u < p_giant + p_spec else \
            "innovative" if u < p_giant + p_spec + p_inn else "none"
        procs = PROCESS_POOLS.get(chain, PROCESS_POOLS["auto"])
        n_proc = int(rng.integers(1, 4))
        processes = list(rng.choice(procs, size=min(n_proc, len(procs)), replace=False))
        kw = [str(x) for x in seg["keywords"]] if seg else []  # type: ignore[attr-defined]
        products = list(rng.choice(kw, size=min(int(rng.integers(1, 4)), len(kw)), replace=False)) if kw else []
        certs = ["iso9001"] if rng.random() < 0.7 else []
        certs += [c for c in CERT_POOLS.get(chain, ()) if rng.random() < 0.35]
        revenue = float(f["output_cny_m"]) if pd.notna(f["output_cny_m"]) else None
        unit = "tonnes" if seg is not None and seg["level"] == "up" and chain != "electronics" else "pieces"
        capacity = None if revenue is None else round(revenue * (200.0 if unit == "tonnes" else 2000.0)
                                                      * float(rng.lognormal(0, 0.4)), 0)
        year = int(rng.integers(2020, 2026)) if tier != "none" else None
        rows.append({
            "enterprise_id": f["enterprise_id"], "name_zh": f["name_zh"], "name_en": f["name_en"],
            "park_id": f["park_id"], "adcode": f.get("adcode"), "industry": "industry",
            "employees": f.get("employees"), "revenue_cny_m": revenue, "size_class": None,
            "tier": tier, "tier_year": year, "tier_valid_until": None,
            "segments": ";".join(seg_ids) or None, "processes": ";".join(map(str, processes)) or None,
            "products": "；".join(map(str, products)) or None, "certifications": ";".join(certs) or None,
            "capacity": capacity, "capacity_unit": unit if capacity is not None else None,
            "synthetic": True, "source_url": None, "confidence": "synthetic",
        })
    profiles = pd.DataFrame(rows, columns=list(t.SME_PROFILES.names))

    # ---- providers and offers, per park
    park_ids = sorted(set(chosen["park_id"].astype(str)))
    prov_parks = list(rng.choice(park_ids, size=min(n_park_providers, len(park_ids)), replace=False))
    pname = parks.set_index("park_id")[["name_zh", "name_en", "adcode"]]
    providers, offers = [], []
    for pk in sorted(map(str, prov_parks)):
        zh, en, adcode = str(pname.loc[pk, "name_zh"]), str(pname.loc[pk, "name_en"]), pname.loc[pk, "adcode"]
        for kind, label_zh, label_en in (("technical", "技术服务中心", "technical service centre"),
                                         ("financial", "中小企业融资服务站", "SME finance desk"),
                                         ("outsourcing", "外协加工联盟", "contract-manufacturing alliance")):
            pid = f"syn-{pk}-{kind}"[:64]
            providers.append({"provider_id": pid, "name_zh": f"{zh}{label_zh}（合成）",
                              "name_en": f"{en} {label_en} (synthetic)", "kind": kind, "park_id": pk,
                              "platform": None, "adcode": adcode, "synthetic": True, "source_url": None,
                              "confidence": "synthetic"})
            menu = _SERVICES[kind]
            k = min(len(menu), int(rng.integers(1, 4)))
            for j, idx in enumerate(sorted(rng.choice(len(menu), size=k, replace=False))):
                service, s_zh, s_en = menu[int(idx)]
                tiers = "specialised;little_giant" if service in ("loan", "ip_pledge") and rng.random() < 0.5 else None
                sizes = "small;micro" if service == "guarantee" else None
                offers.append({
                    "offer_id": f"{pid}-{j + 1}"[:64], "provider_id": pid, "service": service,
                    "title_zh": f"{s_zh}（合成）", "title_en": f"{s_en} (synthetic)",
                    "description": None, "park_id": pk if rng.random() < 0.5 else None,
                    "eligible_tiers": tiers, "eligible_sizes": sizes, "segments": None,
                    "max_amount_cny_m": round(float(rng.uniform(1, 20)), 1) if kind == "financial" else None,
                    "valid_until": dt.date(2026, 12, 31), "synthetic": True, "source_url": None,
                    "confidence": "synthetic",
                })
    prov_frame = pd.DataFrame(providers, columns=list(t.SERVICE_PROVIDERS.names))
    offer_frame = pd.DataFrame(offers, columns=list(t.SERVICE_OFFERS.names))

    # ---- supply-demand items: leaders' and parks' needs, SMEs' offers
    items = []
    leaders = firms[firms["leading"].astype(bool)]
    n = 0
    for f in leaders.to_dict("records"):
        own = [s for s in t.split_list(f.get("segments")) if s in segs]
        inputs = [i for s in own for i in segs[s]["inputs"] if i in segs]  # type: ignore[attr-defined]
        if not inputs:
            continue
        for seg_id in rng.choice(inputs, size=min(4, len(inputs)), replace=False):
            n += 1
            items.append(_need(rng, n, segs, str(seg_id), "enterprise", f["enterprise_id"],
                               f.get("park_id"), known_parks, today))
    for pk in sorted(map(str, prov_parks))[:12]:
        chain_segs = [s for s in chosen.loc[chosen["park_id"] == pk, "segments"].dropna()
                      for s in t.split_list(s) if s in segs]
        if chain_segs:
            n += 1
            items.append(_need(rng, n, segs, str(rng.choice(chain_segs)), "park", None, pk, known_parks, today))
    offer_src = profiles[profiles["products"].notna()]
    for f in offer_src.iloc[np.sort(rng.choice(len(offer_src), size=min(300, len(offer_src)),
                                               replace=False))].to_dict("records"):
        n += 1
        seg_id = t.split_list(f["segments"])[0] if f["segments"] else None
        items.append({
            "item_id": f"syn-sd-{n:05d}", "direction": "offer", "poster": "enterprise",
            "enterprise_id": f["enterprise_id"], "park_id": f["park_id"],
            "title_zh": f"供应{f['products']}（合成）", "title_en": f"supply of {segs[seg_id]['en'] if seg_id else 'parts'} (synthetic)",
            "part": f["products"], "processes": f["processes"], "segment_id": seg_id,
            "quantity": f["capacity"], "quantity_unit": f["capacity_unit"],
            "certifications": f["certifications"], "needed_by": None,
            "posted": today - dt.timedelta(days=int(rng.integers(0, 365))), "status": "open",
            "synthetic": True, "source_url": None, "confidence": "synthetic",
        })
    sd = pd.DataFrame(items, columns=list(t.SUPPLY_DEMAND.names))
    return {
        "sme_profiles": coerce_frame(profiles, "sme_profiles"),
        "service_providers": coerce_frame(prov_frame, "service_providers"),
        "service_offers": coerce_frame(offer_frame, "service_offers"),
        "supply_demand": coerce_frame(sd, "supply_demand"),
    }


def _need(rng: np.random.Generator, n: int, segs: dict[str, dict[str, object]], seg_id: str, poster: str,
          enterprise_id: object, park_id: object, known_parks: set[str], today: dt.date) -> dict[str, object]:
    seg = segs[seg_id]
    kw = list(seg["keywords"])  # type: ignore[call-overload]
    part = str(rng.choice(kw)) if kw else str(seg["zh"])
    chain = str(seg["chain"])
    procs = PROCESS_POOLS.get(chain, PROCESS_POOLS["auto"])
    certs = ["iso9001"] + ([CERT_POOLS[chain][0]] if chain in CERT_POOLS and rng.random() < 0.5 else [])
    unit = "tonnes" if seg["level"] == "up" and chain != "electronics" else "pieces"
    posted = today - dt.timedelta(days=int(rng.integers(0, 365)))
    park = str(park_id) if park_id is not None and str(park_id) in known_parks else None
    return {
        "item_id": f"syn-sd-{n:05d}", "direction": "need", "poster": poster,
        "enterprise_id": enterprise_id, "park_id": park,
        "title_zh": f"采购{part}（{seg['zh']}，合成）", "title_en": f"buying {seg['en']} (synthetic)",
        "part": part, "processes": str(rng.choice(procs)), "segment_id": seg_id,
        "quantity": float(round(rng.lognormal(9, 1), 0)), "quantity_unit": unit,
        "certifications": ";".join(certs), "needed_by": posted + dt.timedelta(days=int(rng.integers(30, 365))),
        "posted": posted, "status": "open", "synthetic": True, "source_url": None, "confidence": "synthetic",
    }
