"""Ibis expressions of the chain engine (the heavy part: scans, joins, group-bys).

Every function takes Ibis tables and returns an Ibis table; nothing here materialises
data, so the same expressions run on DuckDB and on Spark. Conventions:

* a firm's segments are its ``segments`` list (``;``-joined segment ids); a firm with *m*
  segments counts once in each and contributes ``output / m`` to each segment's output;
* a transaction is attributed to the supplier's **primary** (first listed) segment;
* a firm belongs to a scope when its province, its adcode or its park id is in the
  scope's sets (:class:`parklink.chains.scope.Scope`);
* supplier counts per buyer count rows of one year: the transactions key
  (``tables.TRANSACTIONS``) is one row per (supplier, buyer, year), so a row is a distinct
  supplier of the buyer; supplier counts per scope × segment (:func:`segment_demand`)
  count distinct supplier firms across all buyers of the scope;
* ``keyed``: the dataset carries integer firm keys (:mod:`parklink.firmdata`); the big
  joins of transactions to firms then run on ``supplier_key``/``buyer_key`` = ``fkey``
  instead of the string ids. Both paths give the same rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd
from ibis import _

from parklink.chains.scope import Scope
from parklink.errors import ValidationError
from parklink.tables import PROVINCES

if TYPE_CHECKING:
    import ibis.expr.types as ir

EARTH_RADIUS_KM = 6371.0088
_COUNTER = itertools.count()


@contextmanager
def materialised(con: Any, expr: ir.Table) -> Iterator[ir.Table]:
    """Compute ``expr`` once into a temporary table of backend ``con`` and drop it afterwards.

    DuckDB: a temporary table; Spark: a cached DataFrame behind a temporary view. (Ibis's
    ``Table.cache()`` binds expressions made only of memtables to the default backend,
    not to ``con``, so it is not used.)
    """
    name = f"parklink_chains_tmp_{next(_COUNTER)}"
    if getattr(con, "name", "") == "pyspark":
        con._run_pre_execute_hooks(expr)
        df = con._session.sql(con.compile(expr)).cache()
        df.createOrReplaceTempView(name)
        try:
            yield con.table(name)
        finally:
            con._session.catalog.dropTempView(name)
            df.unpersist()
    else:
        table = con.create_table(name, expr, temp=True)
        try:
            yield table
        finally:
            con.raw_sql(f'DROP TABLE IF EXISTS "{name}"')


def haversine_km(lon1: ir.FloatingValue, lat1: ir.FloatingValue,
                 lon2: ir.FloatingValue, lat2: ir.FloatingValue) -> ir.FloatingValue:
    """Great-circle distance in km (haversine, mean Earth radius 6371.0088 km)."""
    dphi = (lat2 - lat1).radians()
    dlam = (lon2 - lon1).radians()
    a = (dphi / 2).sin() ** 2 + lat1.radians().cos() * lat2.radians().cos() * (dlam / 2).sin() ** 2
    root = a.sqrt()
    root = ibis.ifelse(root > 1.0, 1.0, root)  # rounding guard; NULL stays NULL
    return root.asin() * (2 * EARTH_RADIUS_KM)


def _trimmed(text: ir.StringValue) -> ir.StringValue:
    """``text`` without leading/trailing blanks (space, tab, newline); the trim runs only on
    values that contain one (cheaper than trimming every value)."""
    blank = text.contains(" ") | text.contains("\t") | text.contains("\n")
    return ibis.ifelse(blank, text.strip(), text)


def firm_core(firms: ir.Table, keyed: bool = False) -> ir.Table:
    """Firms with typed columns, ``output`` (million CNY, 0 when unknown) and primary segment.

    The segment list is trimmed and split once. ``id_rank`` is an integer stand-in for
    the id (same order): rankings break ties on it and the candidate pipeline groups and
    joins on it instead of the string id. ``fkey`` is the firm key: ``firm_key`` of a keyed
    dataset (firms sorted by id, so ``id_rank = fkey + 1`` without a sort), else
    ``id_rank − 1``.
    """
    base = firms.select(
        enterprise_id=firms.enterprise_id.cast("string"),
        province=firms.province.cast("string"),
        adcode=firms.adcode.cast("string"),
        park_id=firms.park_id.cast("string"),
        lon=firms.lon.cast("float64"),
        lat=firms.lat.cast("float64"),
        chain=firms.chain.cast("string"),
        output=firms.output_cny_m.cast("float64").fill_null(0.0),
        leading=firms.leading.cast("boolean").fill_null(False),
        seglist=_trimmed(firms.segments.cast("string").fill_null("")),
        **({"fkey": firms.firm_key.cast("int32")} if keyed else {}),
    )
    # primary segment and count by position/length arithmetic (no list per row):
    # text before the first ';' (trimmed), and 1 + the number of ';'
    pos = base.seglist.find(";")
    empty = base.seglist == ""
    core = base.mutate(
        seg1=ibis.ifelse(empty, ibis.null("string"),
                         ibis.ifelse(pos < 0, base.seglist, _trimmed(base.seglist.left(pos)))),
        nseg=ibis.ifelse(empty, 0,
                         base.seglist.length() - base.seglist.replace(";", "").length() + 1),
    )
    if keyed:
        return core.mutate(id_rank=(_.fkey + 1).cast("int64"))
    core = core.mutate(id_rank=ibis.dense_rank().over(order_by=_.enterprise_id).cast("int64"))
    return core.mutate(fkey=(_.id_rank - 1).cast("int32"))


def firm_segments(core: ir.Table) -> ir.Table:
    """One row per firm–segment link, with ``share = 1 / number of the firm's segments``."""
    has = core.filter(core.nseg > 0)
    cols = ("enterprise_id", "province", "adcode", "park_id", "lon", "lat", "chain", "output",
            "leading", "nseg", "id_rank")
    # most firms have one segment: their link is the primary segment, no list is built
    single = has.filter(has.nseg == 1).select(*cols, segment_id=has.seg1)
    multi = has.filter(has.nseg > 1)
    exploded = multi.select(*cols, segment_id=multi.seglist.split(";").unnest())
    exploded = exploded.mutate(segment_id=_.segment_id.strip())
    both = ibis.union(single, exploded, distinct=False)
    return both.mutate(share=1.0 / both.nseg.cast("float64"))


def membership(core: ir.Table, scopes: Sequence[Scope]) -> ir.Table:
    """``(enterprise_id, fkey, scope_id)`` for every firm in every scope (distinct rows)."""
    empty = [s.scope_id for s in scopes if s.is_empty()]
    if empty or not scopes:
        raise ValidationError.single("scope", f"scope names no province, region or park: {empty}")
    parts: list[ir.Table] = []
    for key, attr in (("province", "provinces"), ("adcode", "adcodes"), ("park_id", "park_ids")):
        rows = [(s.scope_id, v) for s in scopes for v in sorted(getattr(s, attr))]
        if not rows:
            continue
        mt = ibis.memtable(pd.DataFrame(rows, columns=["scope_id", "m_key"]))
        joined = core.join(mt, core[key] == mt.m_key)
        parts.append(joined.select("enterprise_id", "fkey", "scope_id"))
    if len(parts) == 1:
        return parts[0].distinct()
    return ibis.union(*parts, distinct=True)


def segment_counts(fs: ir.Table, member: ir.Table) -> ir.Table:
    """Per scope and segment: firms, leaders and output (share-split, million CNY).

    Firms are counted (and joined) by their integer key ``id_rank``, one-to-one with the id."""
    m = member.select(m_rank=(member.fkey + 1).cast("int64"), scope_id="scope_id")
    j = fs.join(m, fs.id_rank == m.m_rank)
    return j.group_by(["scope_id", "segment_id"]).aggregate(
        n_firms=_.id_rank.nunique(),
        n_leaders=_.id_rank.nunique(where=_.leading),
        output=(_.output * _.share).sum(),
    )


def scope_totals(core: ir.Table, member: ir.Table) -> ir.Table:
    """Per scope and firm chain: number of firms and total output (all firms of the scope)."""
    m = member.select(m_key="fkey", scope_id="scope_id")
    j = core.join(m, core.fkey == m.m_key)
    return j.group_by(["scope_id", "chain"]).aggregate(n_all=_.count(), out_all=_.output.sum())


def reference_counts(fs: ir.Table) -> ir.Table:
    """Per province (SC/CQ/OUT) and segment: firms and share-split output."""
    return fs.group_by(["province", "segment_id"]).aggregate(
        n_firms=_.id_rank.nunique(), output=(_.output * _.share).sum())


def province_totals(core: ir.Table) -> ir.Table:
    """Per province: firms and output of all firms."""
    return core.group_by("province").aggregate(n_all=_.count(), out_all=_.output.sum())


def city_segment_counts(fs: ir.Table) -> ir.Table:
    """Firms per (city, segment) inside the circle; city = the adcode's first 4 digits + '00'."""
    f = fs.filter(fs.province.isin(PROVINCES) & fs.adcode.notnull())
    f = f.mutate(city=f.adcode.substr(0, 4) + "00")
    return f.group_by(["city", "segment_id"]).aggregate(n_firms=_.id_rank.nunique())


def scoped_purchases(transactions: ir.Table, core: ir.Table, member: ir.Table,
                     year: int, keyed: bool = False) -> ir.Table:
    """Purchases of ``year`` by buyers in each scope, with supplier location flags.

    Columns: scope_id, ``b_key`` (the buyer's firm key ``fkey``), ``s_key`` (the supplier's;
    null when the supplier is not among the firms) and ``s_xid`` (that supplier's id, only
    on such rows), value (kCNY), ``b_leading`` (the buyer is a chain leader), the
    supplier's primary segment ``s_seg`` and booleans ``resolved`` (supplier found among
    firms, with a province), ``in_scope``, ``same_prov`` (same province as the buyer) and
    ``in_circle`` (supplier in SC ∪ CQ). The table is kept narrow (it is the largest one
    the diagnosis materialises): firms are carried as integer keys, and their ids and
    other attributes are joined to the aggregated results (:func:`decode_ids`,
    :func:`buyer_attributes`). On a keyed dataset the scan reads no id text at all for
    resolved suppliers: rows with a null ``supplier_key`` are read separately (a Parquet
    row group without nulls is skipped by its statistics).
    """
    ty = transactions.filter(transactions.year == year)
    mb = member.select(m_key="fkey", scope_id="scope_id")
    buyers = core.select(b_k="fkey", b_id="enterprise_id", b_prov="province",
                         b_leading="leading")
    # scope members with their attributes (a small table) joined to the year's rows once
    mbb = mb.join(buyers, mb.m_key == buyers.b_k)
    sups = core.select(s_k="fkey", s_id="enterprise_id", s_prov="province", s_seg="seg1")
    null_text = ibis.null("string")
    if keyed:
        known = ty.filter(ty.supplier_key.notnull()).select(
            b_j=ty.buyer_key.cast("int32"), s_j=ty.supplier_key.cast("int32"),
            s_x=null_text, value=ty.value_kcny.cast("float64"))
        unknown = ty.filter(ty.supplier_key.isnull()).select(
            b_j=ty.buyer_key.cast("int32"), s_j=ty.supplier_key.cast("int32"),
            s_x=ty.supplier_id.cast("string"), value=ty.value_kcny.cast("float64"))
        tx = ibis.union(known, unknown, distinct=False)
        j2 = tx.join(mbb, tx.b_j == mbb.m_key)
        j3 = j2.left_join(sups, j2.s_j == sups.s_k)
    else:
        tx = ty.select(b_j=ty.buyer_id.cast("string"), s_x=ty.supplier_id.cast("string"),
                       value=ty.value_kcny.cast("float64"))
        j2 = tx.join(mbb, tx.b_j == mbb.b_id)
        j3 = j2.left_join(sups, j2.s_x == sups.s_id)
    j3 = j3.select("scope_id", "value", "b_prov", "b_leading", "s_prov",
                   "s_seg", b_key=j3.m_key, s_key=j3.s_k,
                   s_xid=ibis.ifelse(j3.s_k.isnull(), j3.s_x, null_text))
    ms = member.select(ms_k="fkey", ms_scope="scope_id")
    j4 = j3.left_join(ms, [j3.s_key == ms.ms_k, j3.scope_id == ms.ms_scope])
    return j4.select(
        "scope_id", "b_key", "s_key", "s_xid", "value", "b_leading", "s_seg",
        resolved=_.s_key.notnull() & _.s_prov.notnull(),
        in_scope=_.ms_scope.notnull(),
        same_prov=(_.s_prov == _.b_prov).fill_null(False),
        in_circle=_.s_prov.isin(PROVINCES).fill_null(False),
    )


def decode_ids(t: ir.Table, core: ir.Table, key: str, name: str,
               fallback: str | None = None) -> ir.Table:
    """``t`` with the firm-key column ``key`` replaced (same position) by the firm id
    ``name``; where the key is null the id comes from column ``fallback`` (if given)."""
    ids = core.select(d_key="fkey", d_id="enterprise_id").view()  # a fresh name per use
    j = t.left_join(ids, t[key] == ids.d_key)
    value = j.d_id if fallback is None else ibis.coalesce(j.d_id, j[fallback])
    cols = [value.name(name) if c == key else j[c] for c in t.columns if c != fallback]
    return j.select(*cols)


def buyer_attributes(t: ir.Table, core: ir.Table) -> ir.Table:
    """``t`` (with a buyer key ``b_key``) with the buyer's id (``buyer_id``, in place of the
    key), chain, leader flag, park and province (``b_chain``, ``b_leading``, ``b_park``,
    ``b_prov``)."""
    a = core.select(a_key="fkey", buyer_id="enterprise_id", b_chain="chain",
                    b_leading="leading", b_park="park_id", b_prov="province").view()
    j = t.join(a, t.b_key == a.a_key)
    lead = [c for c in ("scope_id",) if c in t.columns]
    rest = [c for c in t.columns if c not in (*lead, "b_key")]
    return j.select(*lead, "buyer_id", "b_chain", "b_leading", "b_park", "b_prov", *rest)


def firm_lsr_sums(j: ir.Table, core: ir.Table) -> ir.Table:
    """Per scope and buyer: purchase values and supplier counts by supplier location."""
    g = j.group_by(["scope_id", "b_key"]).aggregate(
        v_total=_.value.sum(),
        v_resolved=_.value.sum(where=_.resolved),
        v_scope=_.value.sum(where=_.in_scope),
        v_prov=_.value.sum(where=_.same_prov),
        v_circle=_.value.sum(where=_.in_circle),
        n_sup=_.count(),
        n_resolved=_.count(where=_.resolved),
        n_scope=_.count(where=_.in_scope),
        n_prov=_.count(where=_.same_prov),
        n_circle=_.count(where=_.in_circle),
    )
    return buyer_attributes(g, core)


def firm_coverage_sums(j: ir.Table, present_scope: ir.Table, present_prov: ir.Table,
                       present_circle: ir.Table, core: ir.Table) -> ir.Table:
    """Per scope and buyer: segments bought (K_f) and how many are present in each region.

    ``present_*`` are tables of segments with at least one firm in the scope
    (scope_id, segment_id), in the province (province, segment_id) and in the circle.
    """
    k = j.filter(j.resolved & j.s_seg.notnull()).group_by(
        ["scope_id", "b_key", "s_seg"]).aggregate(n=_.count())
    bp = core.select(bp_key="fkey", b_prov="province")
    k = k.join(bp, k.b_key == bp.bp_key).drop("bp_key")
    ps = present_scope.select(ps_scope="scope_id", ps_seg="segment_id")
    pp = present_prov.select(pp_prov="province", pp_seg="segment_id")
    pc = present_circle.select(pc_seg="segment_id")
    k1 = k.left_join(ps, [k.scope_id == ps.ps_scope, k.s_seg == ps.ps_seg])
    k2 = k1.left_join(pp, [k1.b_prov == pp.pp_prov, k1.s_seg == pp.pp_seg])
    k3 = k2.left_join(pc, k2.s_seg == pc.pc_seg)
    k4 = k3.select("scope_id", "b_key", c_scope=_.ps_seg.notnull().cast("int64"),
                   c_prov=_.pp_seg.notnull().cast("int64"),
                   c_circle=_.pc_seg.notnull().cast("int64"))
    g = k4.group_by(["scope_id", "b_key"]).aggregate(
        n_k=_.count(), k_scope=_.c_scope.sum(), k_prov=_.c_prov.sum(), k_circle=_.c_circle.sum())
    return decode_ids(g, core, "b_key", "buyer_id")


def segment_demand(j: ir.Table) -> ir.Table:
    """Per scope and supplier segment: local demand (all purchases of buyers in the scope),
    local supply (from suppliers in the scope), supplier counts and local concentration
    (sum and sum of squares of local suppliers' sales, largest local supplier).

    ``n_sup`` / ``n_local_sup`` count **distinct** suppliers (all / in the scope) that sell
    the segment to any buyer of the scope, not supplier–buyer rows: a supplier selling to
    three buyers of the scope counts once. Rows with a segment have a resolved supplier
    (the segment comes from the firm table), so the firm key ``s_key`` identifies it.
    """
    seg = j.filter(j.s_seg.notnull())
    d = seg.group_by(["scope_id", "s_seg"]).aggregate(
        demand=_.value.sum(), local=_.value.sum(where=_.in_scope),
        n_sup=_.s_key.nunique(), n_local_sup=_.s_key.nunique(where=_.in_scope))
    # local suppliers are members, hence firms: their key identifies them
    per = seg.filter(seg.in_scope).group_by(["scope_id", "s_seg", "s_key"]).aggregate(
        v=_.value.sum())
    c = per.group_by(["scope_id", "s_seg"]).aggregate(
        sv=_.v.sum(), sv2=(_.v * _.v).sum(), vmax=_.v.max())
    c = c.select(c_scope="scope_id", c_seg="s_seg", sv="sv", sv2="sv2", vmax="vmax")
    out = d.left_join(c, [d.scope_id == c.c_scope, d.s_seg == c.c_seg])
    return out.select("scope_id", "s_seg", "demand", "local", "n_sup", "n_local_sup",
                      "sv", "sv2", "vmax")


def leader_sourcing(j: ir.Table, core: ir.Table) -> ir.Table:
    """Per scope, chain leader and supplier segment: suppliers, local suppliers, value and
    (when there is exactly one supplier) who it is and whether it is in the circle.

    ``supplier_id`` is the largest supplier id of the group (the only one when
    ``n_sup == 1``): keys follow id order, so it is the larger of the decoded largest key
    and the largest id of suppliers outside the firm table.
    """
    lj = j.filter(j.b_leading & j.s_seg.notnull())
    g = lj.group_by(["scope_id", "b_key", "s_seg"]).aggregate(
        n_sup=_.count(), n_local=_.count(where=_.in_scope),
        value=_.value.sum(), s_kmax=_.s_key.max(), s_xmax=_.s_xid.max(),
        sup_in_circle=_.in_circle.cast("int64").max())
    g = decode_ids(decode_ids(g, core, "s_kmax", "s_top"), core, "b_key", "buyer_id")
    top, other = g.s_top, g.s_xmax
    best = ibis.ifelse(top.isnull(), other,
                       ibis.ifelse(other.isnull() | (top >= other), top, other))
    return g.select("scope_id", "buyer_id", "s_seg", "n_sup", "n_local", "value",
                    supplier_id=best, sup_in_circle=g.sup_in_circle)


def leader_suppliers(j: ir.Table, core: ir.Table) -> ir.Table:
    """Every supplier of every chain leader in each scope, with location and distance (km)."""
    lj = j.filter(j.b_leading)
    g = lj.group_by(["scope_id", "b_key", "s_key", "s_xid", "s_seg", "in_scope",
                     "same_prov", "in_circle", "resolved"]).aggregate(value=_.value.sum())
    b = core.select(bb_key="fkey", buyer_id="enterprise_id", b_lon="lon", b_lat="lat")
    s = core.select(ss_key="fkey", ss_id="enterprise_id", s_lon="lon", s_lat="lat",
                    s_prov="province", s_park="park_id", s_adcode="adcode",
                    s_output="output")
    g1 = g.join(b, g.b_key == b.bb_key)
    g2 = g1.left_join(s, g1.s_key == s.ss_key)
    return g2.select(
        "scope_id", "buyer_id", supplier_id=ibis.coalesce(_.ss_id, _.s_xid),
        s_seg="s_seg", s_prov="s_prov", s_park="s_park", s_adcode="s_adcode",
        s_output="s_output", in_scope="in_scope", same_prov="same_prov",
        in_circle="in_circle", resolved="resolved", value="value",
        distance_km=haversine_km(_.b_lon, _.b_lat, _.s_lon, _.s_lat),
    )


def sales_into_scope(j: ir.Table) -> ir.Table:
    """Per scope and supplier outside the scope: value sold into the scope and whether it
    already supplies a chain leader of the scope (``tie``); the supplier is given by its
    ``id_rank`` (``s_rank`` = firm key + 1)."""
    out = j.filter(~j.in_scope & j.resolved)
    g = out.group_by(["scope_id", "s_key"]).aggregate(
        into=_.value.sum(), tie=_.b_leading.cast("int64").max())
    return g.select("scope_id", s_rank=(g.s_key + 1).cast("int64"), into=g.into, tie=g.tie)


def ranked_candidates(fs: ir.Table, core: ir.Table, member: ir.Table, sales: ir.Table | None,
                      pairs: pd.DataFrame, *, exclude_members: bool, circle_only: bool,
                      weights: dict[str, float], distance_km0: float, top_n: int,
                      pool: int | None = None, learned: Mapping[str, float] | None = None,
                      activity: ir.Table | None = None,
                      homes: Mapping[str, str | None] | None = None) -> ir.Table:
    """Rank firms of a segment for each (key, scope, segment) row of ``pairs``.

    ``pairs`` has columns key, scope_id, segment_id, lon, lat, exclude_id. Candidates are
    the firms assigned to the segment, optionally outside the scope
    (``exclude_members``) and/or inside the circle (``circle_only``), never
    ``exclude_id``. Score: weighted sum of normalised value sold into the scope,
    segment fit (share), exp(−distance/d0), log-size and tie (see ``TargetWeights``).

    ``pool`` (optional) limits the candidates to the ``pool`` largest firms of the segment
    in each province group plus every firm that already sells into the scope (exact for
    smaller segments). Candidates are narrow rows of numbers (firm rank, scope number,
    factors); ids and attributes are joined to the top rows only, and the top rows of each
    key are selected with :func:`top_per_group`.

    ``learned`` (raw per-unit weights of :data:`parklink.chains.eval_features.FEATURES`,
    from :class:`parklink.chains.target_model.TargetModel`) replaces the weighted sum by the
    learned score ``Σ_j w_j·x_j``; ``activity`` (``a_id``, ``deg_last``, ``active_last``)
    and ``homes`` (scope id → home province) supply its one-year activity and
    same-province features.
    """
    frame = pairs.astype({"lon": "float64", "lat": "float64"}).copy()
    frame["scope_no"] = pd.factorize(frame["scope_id"])[0].astype("int64")
    pt = ibis.memtable(frame[["key", "scope_id", "scope_no", "segment_id", "lon", "lat",
                              "exclude_id"]])
    # scope id -> scope number, for the tables keyed by scope id (sales, members)
    scope_nos = ibis.memtable(frame[["scope_id", "scope_no"]].drop_duplicates().rename(
        columns={"scope_id": "n_scope", "scope_no": "n_no"}))
    # the excluded firm of a pair as its integer rank (-1 when it is not among the firms)
    xid = core.select(x_id="enterprise_id", x_rank="id_rank")
    pj = pt.left_join(xid, pt.exclude_id == xid.x_id)
    pt = pj.select("key", "scope_id", "scope_no", "segment_id", "lon", "lat",
                   x_rank=pj.x_rank.fill_null(-1))
    src = fs.filter(fs.province.isin(PROVINCES)) if circle_only else fs
    # only the segments some pair asks for (the gap segments) enter the ranking
    src = src.filter(src.segment_id.isin(sorted(set(pairs["segment_id"].astype(str)))))
    nar = src.select("id_rank", "segment_id", "province", "output", "share", "lon", "lat")
    cols = ("key", "scope_no", "c_rank", "output", "share", "distance_km", "x_rank", "c_prov")

    def rows(firms: ir.Table, on: list[str], **extra: Any) -> ir.Table:
        """Candidate rows: firm rows joined to the pairs on the columns ``on``."""
        pv = pt.view()
        j = firms.join(pv, [firms[c] == pv[c] for c in on])
        return j.select(key=pv.key, scope_no=pv.scope_no, c_rank=firms.id_rank,
                        output=firms.output, share=firms.share,
                        distance_km=haversine_km(firms.lon, firms.lat, pv.lon, pv.lat),
                        x_rank=pv.x_rank, c_prov=firms.province.cast("string"),
                        **{k: firms[v] for k, v in extra.items()})

    def with_sales(c: ir.Table) -> ir.Table:
        if sales is None:
            return c.mutate(into=ibis.literal(0.0, "float64"), tie=ibis.literal(0, "int64"))
        sn = scope_nos
        sv = sales.join(sn, sales.scope_id == sn.n_scope).select(
            v_rank="s_rank", v_no="n_no", v_into="into", v_tie="tie")
        sj = c.left_join(sv, [c.c_rank == sv.v_rank, c.scope_no == sv.v_no])
        return sj.select(*cols, into=sj.v_into.fill_null(0.0).cast("float64"),
                         tie=sj.v_tie.fill_null(0).cast("int64"))

    if pool is not None:
        # the pool: the ``pool`` largest firms (by output, then id) of the segment in each
        # province group; firms outside it enter only as sellers into the scope, so the
        # pool rows and the seller rows are disjoint for each key
        sized = nar.mutate(p_size=(ibis.greatest(nar.output, 0.0) + 1.0).ln())
        inpool = top_per_group(sized, ["segment_id", "province"], "p_size", "id_rank", pool,
                               0.0, 16.0).drop("rank", "p_size")
        cand = with_sales(rows(inpool, ["segment_id"]))
        if sales is not None:
            ip = inpool.select(i_rank="id_rank", i_seg="segment_id")
            sl = sales.select(scope_id="scope_id", s_rank="s_rank",
                              s_into=sales.into.cast("float64"), s_tie=sales.tie.cast("int64"))
            sellers = nar.join(sl, nar.id_rank == sl.s_rank)
            sj = sellers.left_join(ip, [sellers.id_rank == ip.i_rank,
                                        sellers.segment_id == ip.i_seg])
            outside = sj.filter(sj.i_rank.isnull())
            seller_rows = rows(outside, ["scope_id", "segment_id"], into="s_into", tie="s_tie")
            cand = ibis.union(cand, seller_rows, distinct=False)
    else:
        cand = with_sales(rows(nar, ["segment_id"]))
    cand = cand.filter(cand.c_rank != cand.x_rank)
    if exclude_members:
        sn = scope_nos
        mm = member.join(sn, member.scope_id == sn.n_scope).select(
            m_rank=(member.fkey + 1).cast("int64"), m_no=sn.n_no)
        cj = cand.left_join(mm, [cand.c_rank == mm.m_rank, cand.scope_no == mm.m_no])
        cand = cj.filter(cj.m_rank.isnull()).drop("m_rank", "m_no")
    cand = cand.mutate(logsize=(_.output + 1.0).ln())
    mx = cand.group_by("key").aggregate(max_into=_.into.max(), max_size=_.logsize.max())
    mx = mx.select(mx_key="key", max_into="max_into", max_size="max_size")
    cm = cand.join(mx, cand.key == mx.mx_key)
    f_value = ibis.ifelse(_.max_into > 0, _.into / _.max_into, 0.0)
    f_size = ibis.ifelse(_.max_size > 0, _.logsize / _.max_size, 0.0)
    f_dist = ibis.ifelse(_.distance_km.isnull(), 0.0, (-_.distance_km / distance_km0).exp())
    sc = cm.select("key", "c_rank", "output", "share", "distance_km", "into", "tie",
                   f_value=f_value, f_fit=_.share, f_distance=f_dist, f_size=f_size,
                   f_tie=_.tie.cast("float64"))
    if learned is None:
        sc = sc.mutate(score=weights["value"] * _.f_value + weights["fit"] * _.f_fit
                       + weights["distance"] * _.f_distance + weights["size"] * _.f_size
                       + weights["tie"] * _.f_tie)
        bound = sum(abs(float(w)) for w in weights.values())
    else:
        from parklink.chains.target_model import learned_score

        sc, bound = learned_score(sc, cm, core, frame, learned, activity, homes)
    best = top_per_group(sc, ["key"], "score", "c_rank", top_n, -bound, bound)
    attrs = core.select(a_rank="id_rank", enterprise_id="enterprise_id", province="province",
                        park_id="park_id", adcode="adcode")
    out = best.join(attrs, best.c_rank == attrs.a_rank)
    ps = pt.select(o_key="key", scope_id="scope_id")
    out = out.join(ps, out.key == ps.o_key)
    extra_cols = ("deg_last", "active_last") if learned is not None else ()
    return out.select("key", "scope_id", "enterprise_id", "province", "park_id", "adcode",
                      "output", "share", "distance_km", "into", "tie", "f_value", "f_fit",
                      "f_distance", "f_size", "f_tie", "score", "rank", *extra_cols)


HISTOGRAM_BINS = 128



def top_per_group(t: ir.Table, group_by: list[str], score: str, tiebreak: str, n: int,
                  lo: float, hi: float) -> ir.Table:
    """The ``n`` rows of each group with the highest ``score`` (ties: lowest ``tiebreak``),
    with their 1-based ``rank``.

    Sorting every row of every group is the costly part of a top-n, so rows that cannot be
    in the top are dropped first, exactly: scores are put in ``HISTOGRAM_BINS`` equal bins
    over ``[lo, hi]`` (values outside go to the end bins; any binning that keeps the order
    of scores works). Per group, ``b*`` is the highest bin whose count of rows in it or
    above reaches ``n``. The ``n``-th score lies in bin ``b*`` — fewer than ``n`` rows score
    above it, so fewer than ``n`` lie in higher bins — hence every top row has a bin ≥ b*
    and only those rows are sorted. A group with fewer than ``n`` rows keeps them all.
    """
    width = (hi - lo) / HISTOGRAM_BINS if hi > lo else 1.0
    raw = ((t[score] - lo) / width).floor().cast("int64")
    binned = t.mutate(t_bin=ibis.greatest(0, ibis.least(HISTOGRAM_BINS - 1, raw)))
    hist = binned.group_by([*group_by, "t_bin"]).aggregate(t_n=_.count())
    above = hist.mutate(t_above=hist.t_n.sum().over(
        ibis.cumulative_window(group_by=group_by, order_by=ibis.desc("t_bin"))))
    cut = above.filter(above.t_above >= n).group_by(group_by).aggregate(t_star=_.t_bin.max())
    cut = cut.select(*[cut[c].name(f"t_g{i}") for i, c in enumerate(group_by)], "t_star")
    j = binned.left_join(cut, [binned[c] == cut[f"t_g{i}"] for i, c in enumerate(group_by)])
    kept = j.filter(j.t_star.isnull() | (j.t_bin >= j.t_star))
    kept = kept.drop("t_star", "t_bin", *[f"t_g{i}" for i in range(len(group_by))])
    ranked = kept.mutate(rank=ibis.row_number().over(
        group_by=group_by, order_by=[ibis.desc(score), ibis.asc(tiebreak)]) + 1)
    return ranked.filter(ranked["rank"] <= n)


def flow_codes(core: ir.Table) -> ir.Table:
    """Circle firms with small integer codes for the flow matrix (materialise it once).

    ``b_code`` is the buyer province (0 = first of ``PROVINCES``, 1 = second) and
    ``s_code`` numbers the (supplier province, primary segment) pairs; ``s_prov`` and
    ``s_seg`` decode it.
    """
    circle = core.filter(core.province.isin(PROVINCES)).select(
        f_id="enterprise_id", f_key="fkey", s_prov="province", s_seg="seg1",
        b_code=ibis.ifelse(_.province == PROVINCES[0], 0, 1).cast("int8"))
    # number the few distinct (province, segment) pairs, then look each firm's up (a join
    # on a small table instead of a rank window over every circle firm)
    pairs = circle.select("s_prov", "s_seg").distinct()
    pairs = pairs.mutate(s_code=ibis.row_number().over(
        order_by=[_.s_prov, _.s_seg]).cast("int32")).rename(c_prov="s_prov", c_seg="s_seg")
    # a null segment is a pair of its own: compare with null-safe equality
    j = circle.join(pairs, [circle.s_prov == pairs.c_prov,
                            circle.s_seg.identical_to(pairs.c_seg)])
    return j.select("f_id", "f_key", "s_prov", "s_seg", "b_code", "s_code")


def flows(transactions: ir.Table, codes: ir.Table, keyed: bool = False) -> ir.Table:
    """Purchases between firms in the circle by year, supplier/buyer province and supplier
    segment: value (kCNY) and number of transactions.

    ``codes`` is :func:`flow_codes` (materialised). Each transaction probes two hash
    tables of integer codes — the buyer's first, which already drops buyers outside the
    circle — and the group-by runs on (year, supplier code, buyer code); the codes are
    decoded on the small result.
    """
    fk = "f_key" if keyed else "f_id"
    buys = codes.select(b_id=fk, b_code="b_code")
    sups = codes.select(s_id=fk, s_code="s_code")
    if keyed:
        t = transactions.select(supplier_id=_.supplier_key.cast("int32"),
                                buyer_id=_.buyer_key.cast("int32"), year="year",
                                value=_.value_kcny.cast("float64"))
    else:
        t = transactions.select(supplier_id=_.supplier_id.cast("string"),
                                buyer_id=_.buyer_id.cast("string"), year="year",
                                value=_.value_kcny.cast("float64"))
    j1 = t.join(buys, t.buyer_id == buys.b_id)
    j2 = j1.join(sups, j1.supplier_id == sups.s_id)
    g = j2.group_by(["year", "s_code", "b_code"]).aggregate(value=_.value.sum(), n_tx=_.count())
    dec = codes.select(c_code="s_code", s_prov="s_prov", s_seg="s_seg").distinct()
    bp = ibis.memtable(pd.DataFrame({"p_code": pd.Series([0, 1], dtype="int8"),
                                     "b_prov": list(PROVINCES)}))
    d = g.join(dec, g.s_code == dec.c_code).join(bp, g.b_code == bp.p_code)
    return d.select("year", "s_prov", "b_prov", "s_seg", "value", "n_tx")


def latest_year(transactions: ir.Table) -> ir.IntegerScalar:
    """The latest year present in the transactions."""
    return transactions.year.max()
