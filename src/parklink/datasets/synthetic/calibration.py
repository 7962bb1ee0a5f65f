"""Calibration statistics of a generated network (:func:`calibration`), streamed.

Part of :mod:`parklink.datasets.synthetic` (the model is described there)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parklink.datasets.synthetic.common import (
    _IN_CIRCLE,
    DEFAULT_PARAMS,
    FloatArray,
    IntArray,
    SyntheticParams,
    _haversine_km,
    _require_columns,
)
from parklink.errors import ValidationError

_DIST_EDGES = np.concatenate([[0.0], np.logspace(0.0, 4.0, 81)])  # km; 1 km .. 10,000 km
_PAIR_GRID_DEG = 0.25


class _Calibrator:
    """Streaming accumulator of the calibration statistics (all counters are additive)."""

    def __init__(self, firms: pd.DataFrame, n_years: int, params: SyntheticParams) -> None:
        _require_columns(firms, "firms", ("enterprise_id", "province", "lon", "lat", "leading"))
        self.params = params
        self.n = len(firms)
        self.n_years = n_years
        prov = firms["province"].astype(str).to_numpy(dtype=object)
        codes, _ = pd.factorize(pd.Series(prov, dtype=object))
        self.prov = codes.astype(np.int64)
        self.in_circle = np.isin(prov, np.array(_IN_CIRCLE, dtype=object))
        self.leading = firms["leading"].fillna(False).astype(bool).to_numpy()
        self.lon = firms["lon"].to_numpy(np.float64)
        self.lat = firms["lat"].to_numpy(np.float64)
        self.rows = 0
        self.in_rows = 0
        self.in_same = 0
        self.in_circle_sup = 0
        self.in_value = 0.0
        self.in_same_value = 0.0
        self.lead_value = 0.0
        self.deg_last = np.zeros(self.n, dtype=np.int64)
        self.active = np.zeros((n_years, self.n), dtype=bool)
        self.churn_num = 0
        self.churn_den = 0
        self.hist = np.zeros(_DIST_EDGES.size - 1, dtype=np.int64)
        self.within_km = {50: 0, 100: 0, 300: 0}
        self.dist_value = 0.0
        self.value = 0.0

    def add(self, s: IntArray, b: IntArray, t: IntArray, v: FloatArray) -> None:
        """Account for a batch holding *all* years of its buyers (for the churn statistic)."""
        if s.size == 0:
            return
        self.rows += int(s.size)
        inb = self.in_circle[b]
        same = self.prov[s] == self.prov[b]
        self.in_rows += int(inb.sum())
        self.in_same += int((inb & same).sum())
        self.in_circle_sup += int((inb & self.in_circle[s]).sum())
        self.in_value += float(v[inb].sum())
        self.in_same_value += float(v[inb & same].sum())
        self.lead_value += float(v[inb & self.leading[b]].sum())
        last = t == self.n_years - 1
        self.deg_last += np.bincount(s[last], minlength=self.n)
        for y in range(self.n_years):
            at = t == y
            self.active[y, s[at]] = True
            self.active[y, b[at]] = True
        key = b * np.int64(self.n) + s
        for y in range(self.n_years - 1):
            k0, k1 = key[t == y], key[t == y + 1]
            self.churn_den += int(k0.size)
            self.churn_num += int((~np.isin(k0, k1)).sum())
        d = _haversine_km(self.lon[s], self.lat[s], self.lon[b], self.lat[b])
        self.hist += np.histogram(d, bins=_DIST_EDGES)[0]
        for km in self.within_km:
            self.within_km[km] += int((d <= km).sum())
        self.dist_value += float((d * v).sum())
        self.value += float(v.sum())

    def _tail(self) -> tuple[float, int]:
        """Power-law CCDF exponent of the last year's customer degrees above ``degree_tail_xmin``
        (discrete MLE approximation of Clauset, Shalizi & Newman 2009, eq. 3.7, minus 1)."""
        xmin = self.params.degree_tail_xmin
        x = self.deg_last[self.deg_last >= xmin].astype(np.float64)
        if x.size < 20:
            return float("nan"), int(x.size)
        s = float(np.log(x / (xmin - 0.5)).sum())
        return (float(x.size / s) if s > 0 else float("nan")), int(x.size)

    def _median_km(self) -> float:
        total = self.hist.sum()
        if total == 0:
            return float("nan")
        c = np.cumsum(self.hist)
        i = int(np.searchsorted(c, total / 2.0))
        lo, hi = _DIST_EDGES[i], _DIST_EDGES[i + 1]
        before = c[i - 1] if i else 0
        frac = (total / 2.0 - before) / max(self.hist[i], 1)
        if lo <= 0:
            return float(hi * frac)
        return float(lo * (hi / lo) ** frac)

    def _decay_slope(self) -> float:
        """Naive ζ: slope of log(links / firm pairs) on log distance over 50–2000 km bins."""
        if self.rows == 0 or self.n < 2:
            return float("nan")
        gx = np.floor(self.lon / _PAIR_GRID_DEG)
        gy = np.floor(self.lat / _PAIR_GRID_DEG)
        cells, inv = np.unique(np.stack([gx, gy], axis=1), axis=0, return_inverse=True)
        inv = np.asarray(inv).ravel()
        cnt = np.bincount(inv).astype(np.float64)
        clon = np.bincount(inv, weights=self.lon) / cnt
        clat = np.bincount(inv, weights=self.lat) / cnt
        if cells.shape[0] > 4000:
            return float("nan")
        dd = _haversine_km(clon[:, None], clat[:, None], clon[None, :], clat[None, :])
        pairs = np.outer(cnt, cnt) - np.diag(cnt)
        ph = np.histogram(dd.ravel(), bins=_DIST_EDGES, weights=pairs.ravel())[0]
        mid = np.sqrt(np.maximum(_DIST_EDGES[:-1], 0.5) * _DIST_EDGES[1:])
        use = (mid >= 50) & (mid <= 2000) & (self.hist > 0) & (ph > 0)
        if use.sum() < 3:
            return float("nan")
        y = np.log(self.hist[use] / ph[use])
        x = np.log(mid[use])
        slope = np.polyfit(x, y, 1, w=np.sqrt(self.hist[use]))[0]
        return float(-slope)

    def result(self) -> pd.DataFrame:
        p = self.params
        nan = float("nan")
        share = self.in_same / self.in_rows if self.in_rows else nan
        lead = self.lead_value / self.in_value if self.in_value else nan
        churn = self.churn_num / self.churn_den if self.churn_den else nan
        hill, k = self._tail()
        act = self.active
        entry = exit_ = nan
        if self.n_years > 1:
            prev = act[:-1].sum(axis=1)
            ok = prev > 0
            if ok.any():
                entry = float(np.mean((act[1:] & ~act[:-1]).sum(axis=1)[ok] / prev[ok]))
                exit_ = float(np.mean((act[:-1] & ~act[1:]).sum(axis=1)[ok] / prev[ok]))
        lo, hi = p.target_within_province
        rows: list[tuple[str, str, str, float, float, float, float, str, str]] = [
            ("within_province_share", "省内链接占比", "share of links within the buyer's province",
             share, (lo + hi) / 2, lo, hi,
             "links with supplier province = buyer province / links with buyer in SC or CQ (count)",
             "Belgium 47.5 % within NUTS2 (NBB B2B), chain-methods.md §1.6/§5"),
            ("within_province_value_share", "省内采购额占比", "value share within the buyer's province",
             self.in_same_value / self.in_value if self.in_value else nan, nan, nan, nan,
             "as above, weighted by value_kcny", "information only"),
            ("within_circle_share", "川渝域内链接占比", "share of links within Sichuan+Chongqing",
             self.in_circle_sup / self.in_rows if self.in_rows else nan, nan, nan, nan,
             "links with supplier in SC or CQ / links with buyer in SC or CQ", "information only"),
            ("customer_degree_tail", "客户度尾指数", "customer-degree tail exponent",
             hill, p.target_degree_tail, p.target_degree_tail - p.tolerance_degree_tail,
             p.target_degree_tail + p.tolerance_degree_tail,
             f"power-law MLE (Clauset et al. 2009, discrete approx.) on the {k} customer degrees "
             f"≥ {p.degree_tail_xmin} (distinct buyers per supplier) of the last year",
             "Japan: tail exponent ≈ 1 (Mizuno, Souma, Watanabe, PLoS ONE 2014)"),
            ("leaders_purchase_share", "链主采购额占比", "leaders' share of in-circle purchases",
             lead, p.leader_purchase_share, p.leader_purchase_share - p.tolerance_leader_share,
             p.leader_purchase_share + p.tolerance_leader_share,
             "value bought by leading buyers in SC/CQ / value bought by all buyers in SC/CQ",
             "design target [D] (chain-methods.md §5: 'a large share')"),
            ("link_churn", "年度链接流失率", "share of links gone the next year",
             churn, p.link_churn, p.link_churn - p.tolerance_churn, p.link_churn + p.tolerance_churn,
             "links of year t absent in year t+1 / links of year t (pooled over consecutive years)",
             "Hungary 55 % (arXiv 2503.20594); Japan 7–8 % (Mizuno et al. 2014)"),
            ("firm_entry_rate", "企业进入率", "firm entry rate (firms with transactions)",
             entry, p.entry_rate, nan, nan,
             "firms trading in t but not t-1 / firms trading in t-1 (mean over years); "
             "counts firms without a link in a year as absent",
             "Hungary ≈ 28 %/yr (arXiv 2503.20594); information only"),
            ("firm_exit_rate", "企业退出率", "firm exit rate (firms with transactions)",
             exit_, p.exit_rate, nan, nan,
             "firms trading in t-1 but not t / firms trading in t-1 (mean over years)",
             "Hungary ≈ 25 %/yr (arXiv 2503.20594); information only"),
            ("median_supplier_distance_km", "供应商距离中位数(km)", "median supplier distance (km)",
             self._median_km(), nan, nan, nan,
             "great-circle km, link-weighted, interpolated in 80 log bins", "information only"),
            ("value_weighted_mean_distance_km", "采购额加权平均距离(km)", "value-weighted mean distance (km)",
             self.dist_value / self.value if self.value else nan, nan, nan, nan,
             "Σ value·km / Σ value", "information only"),
            *[
                (f"share_within_{km}km", f"{km}公里内链接占比", f"share of links within {km} km",
                 self.within_km[km] / self.rows if self.rows else nan, nan, nan, nan,
                 "links with supplier–buyer distance ≤ km / links", "information only")
                for km in sorted(self.within_km)
            ],
            ("distance_decay_naive", "距离衰减指数(粗估)", "distance-decay exponent (naive)",
             self._decay_slope(), p.zeta, nan, nan,
             "−slope of log(links/firm pairs) on log km over 50–2000 km bins; ignores segment "
             "compatibility, size and location mix, so it need not equal the model's ζ",
             "information only"),
        ]
        frame = pd.DataFrame(rows, columns=["statistic", "name_zh", "name_en", "value", "target", "low",
                                            "high", "method", "reference"])
        within = ((frame["value"] >= frame["low"]) & (frame["value"] <= frame["high"])).astype("boolean")
        within = within.mask(frame["low"].isna() | frame["value"].isna())
        frame.insert(7, "within_tolerance", within)
        return frame


def calibration(
    firms: pd.DataFrame,
    transactions: pd.DataFrame,
    *,
    params: SyntheticParams = DEFAULT_PARAMS,
) -> pd.DataFrame:
    """Measure the calibration statistics of any firm network (synthetic or real).

    ``firms`` needs ``enterprise_id, province, lon, lat, leading``; ``transactions`` the
    ``tables.TRANSACTIONS`` columns. One row per statistic: value, target and tolerance
    (from ``params``; NaN when informational), whether it is within tolerance, the method
    and the reference (chain-methods.md §1.6/§5). Shares are fractions (0–1), distances
    km, values thousand CNY. Unknown supplier/buyer ids raise ValidationError.
    """
    _require_columns(transactions, "transactions", ("supplier_id", "buyer_id", "year", "value_kcny"))
    index = pd.Index(firms["enterprise_id"].astype(str))
    s = index.get_indexer(pd.Index(transactions["supplier_id"].astype(str)))
    b = index.get_indexer(pd.Index(transactions["buyer_id"].astype(str)))
    bad = np.flatnonzero((s < 0) | (b < 0))
    if bad.size:
        row = int(bad[0])
        col = "supplier_id" if s[row] < 0 else "buyer_id"
        raise ValidationError.single("transactions", "id not found in firms", row=row + 2, column=col,
                                     value=transactions[col].iloc[row])
    years = np.sort(transactions["year"].astype(np.int64).unique())
    t = np.searchsorted(years, transactions["year"].astype(np.int64).to_numpy())
    cal = _Calibrator(firms, max(len(years), 1), params)
    cal.add(s.astype(np.int64), b.astype(np.int64), t.astype(np.int64),
            pd.to_numeric(transactions["value_kcny"]).to_numpy(np.float64))
    return cal.result()
