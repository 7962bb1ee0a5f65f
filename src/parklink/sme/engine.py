"""The matching engine: rank candidates for queries by a documented weighted score.

Pure and generic: the builders of :mod:`parklink.sme.build` turn needs, leaders, SMEs,
enterprises and service offers into :class:`Side` records (one for the queries, one for the
candidates); :func:`match` ranks the candidates of every query and returns the top ``k``
with their score components. Score of query *q* and candidate *c* (each component in [0, 1];
weights in :class:`MatchWeights`, documented in ``docs/sme.md``)::

    score = w_text·cos(tfidf_q, tfidf_c) + w_segment·min(1, Σ_s want_q[s]·has_c[s])
          + w_cert·|req_q ∩ held_c| / |req_q| + w_travel·exp(−t_qc / τ)
          + w_capacity·min(1, capacity_c / quantity_q) + w_tie·tie_qc + w_network·AA_qc/(1+AA_qc)

* text: cosine of character n-gram TF-IDF vectors (scikit-learn ``TfidfVectorizer``,
  ``analyzer="char_wb"``, n = 2–3, sublinear tf; Chinese needs no segmenter); n-grams found in
  more than ``max(stop_df·N, stop_min)`` candidate texts are stop n-grams and dropped;
* t_qc: freight travel time (hours) between the district seats of q and c (the network
  times of :meth:`parklink.inputs.Inputs.travel_time`), τ = ``travel_scale_h``;
  capacity counts only in the same unit; tie = an existing transaction between the query's
  enterprise and the candidate; AA = Adamic–Adar index on the transaction graph.

Only candidates with some **relevance** to the query — text similarity ≥ ``min_text`` (0.1),
a wanted segment, an existing tie or a common partner — are ranked (travel, certifications and capacity re-rank
them but never make a candidate relevant alone); a query may get fewer than ``k`` matches.
The computation is sparse and blocked: sparse products give the relevant pairs per block of
queries (merged as row-major integer keys), the other components are evaluated only on those pairs, and the top ``k`` of each
row is selected with ``numpy.argpartition`` (ties broken by candidate order).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from parklink.errors import ValidationError

COMPONENTS = ("text", "segment", "certification", "travel", "capacity", "tie", "network")
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class MatchWeights:
    """Weights of the score components (non-negative; they need not sum to 1)."""

    text: float = 0.35
    segment: float = 0.25
    certification: float = 0.10
    travel: float = 0.15
    capacity: float = 0.05
    tie: float = 0.05
    network: float = 0.05

    def __post_init__(self) -> None:
        bad = [k for k, v in asdict(self).items() if not (v >= 0.0 and np.isfinite(v))]
        if bad:
            raise ValidationError.single("weights", f"weights must be finite and >= 0: {', '.join(bad)}")

    def vector(self) -> FloatArray:
        """The weights in the order of :data:`COMPONENTS`."""
        return np.array([getattr(self, c) for c in COMPONENTS], dtype=np.float64)


#: Leader ↔ supplier rankings: the learned model (default) and the hand weights (baseline).
SUPPLIER_RANKINGS: tuple[str, ...] = ("learned", "hand")


@dataclass(frozen=True)
class MatchConfig:
    """Configuration of a matching run (defaults are the documented defaults)."""

    k: int = 10
    weights: MatchWeights = field(default_factory=MatchWeights)
    travel_scale_h: float = 3.0
    ngram_min: int = 2
    ngram_max: int = 3
    stop_df: float = 0.02
    stop_min: int = 50
    min_text: float = 0.1
    block: int = 256
    workers: int = 2
    exclude_existing: bool = False
    #: leader ↔ supplier ranking: ``learned`` (default; :mod:`parklink.sme.learned`, fitted on
    #: past years) or ``hand`` (the documented weights above, an explicit baseline)
    supplier_ranking: str = "learned"

    def __post_init__(self) -> None:
        if self.supplier_ranking not in SUPPLIER_RANKINGS:
            raise ValidationError.single("supplier_ranking", f"expected one of {', '.join(SUPPLIER_RANKINGS)}",
                                         value=self.supplier_ranking)
        if not 1 <= self.k <= 1000:
            raise ValidationError.single("k", "k must be between 1 and 1000", value=str(self.k))
        if not self.travel_scale_h > 0:
            raise ValidationError.single("travel_scale_h", "must be > 0", value=str(self.travel_scale_h))
        if not 1 <= self.ngram_min <= self.ngram_max <= 6:
            raise ValidationError.single("ngram", "need 1 <= ngram_min <= ngram_max <= 6")
        if not 0 < self.stop_df <= 1 or self.stop_min < 1 or self.block < 1 or not 0 <= self.min_text <= 1:
            raise ValidationError.single("stop_df", "need 0 < stop_df <= 1, stop_min >= 1, block >= 1, "
                                         "0 <= min_text <= 1")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready configuration."""
        return asdict(self)

    def hash(self) -> str:
        """Stable hash of the configuration (for the inputs fingerprint)."""
        from parklink.configs import config_hash

        return config_hash("match", self)


@dataclass(frozen=True, eq=False)
class Side:
    """Queries or candidates: ids, text, segment wants/holdings, certifications, place,
    quantity/capacity, and the enterprise (graph node) each stands for.

    ``segments`` is a sparse matrix rows × segment vocabulary (weights: a query's wanted
    segments, a candidate's own segments, 1 each); ``certs`` a bit mask per row over the
    certification vocabulary; ``zone`` an index into the travel decay matrix (−1 unknown);
    ``amount``/``unit`` the quantity wanted or capacity offered (NaN / "" unknown);
    ``node`` an index into the transaction graph (−1 when not in it).
    """

    ids: npt.NDArray[np.object_]
    text: list[str]
    segments: sp.csr_matrix
    certs: npt.NDArray[np.int64]
    zone: IntArray
    amount: FloatArray
    unit: npt.NDArray[np.object_]
    node: IntArray

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, eq=False)
class Graph:
    """The transaction graph: undirected binary adjacency (nodes × nodes, CSR) and its
    Adamic–Adar weights 1/ln(degree) per node (0 for degree < 2)."""

    adjacency: sp.csr_matrix
    aa_weight: FloatArray

    @classmethod
    def from_edges(cls, n: int, a: IntArray, b: IntArray) -> Graph:
        """Graph of ``n`` nodes from edge endpoint arrays (duplicates and self loops dropped)."""
        keep = a != b
        rows = np.concatenate([a[keep], b[keep]])
        cols = np.concatenate([b[keep], a[keep]])
        adj = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        adj.data[:] = 1.0  # duplicates summed -> binary
        deg = np.asarray(adj.sum(axis=1)).ravel()
        with np.errstate(divide="ignore"):
            w = np.where(deg >= 2, 1.0 / np.log(np.maximum(deg, 2)), 0.0)
        return cls(adj.tocsr(), w)

    @classmethod
    def empty(cls, n: int = 0) -> Graph:
        """A graph without edges."""
        return cls(sp.csr_matrix((n, n)), np.zeros(n))


@dataclass(frozen=True, eq=False)
class Ranking:
    """Raw output of :func:`match`: per query the top candidates and score components."""

    query: IntArray
    rank: IntArray
    candidate: IntArray
    score: FloatArray
    components: FloatArray  # rows × len(COMPONENTS)
    relevant: IntArray  # per query: how many candidates were relevant

    def to_frame(self) -> pd.DataFrame:
        """One row per (query, rank) with the component values."""
        out = pd.DataFrame({"query": self.query, "rank": self.rank, "candidate": self.candidate,
                            "score": self.score})
        for j, c in enumerate(COMPONENTS):
            out[c] = self.components[:, j]
        return out


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.float64)


def _popcount(x: IntArray) -> FloatArray:
    """Number of set bits of each mask (masks of up to 16 certification bits)."""
    if len(x) and int(x.max()) < 256:
        return np.asarray(_POPCOUNT[x], dtype=np.float64)
    x = x.astype(np.int64)
    return np.asarray(_POPCOUNT[x & 255] + _POPCOUNT[(x >> 8) & 255], dtype=np.float64)


@dataclass(frozen=True, eq=False)
class Index:
    """The candidate side prepared once: vectorizer, TF-IDF matrix (transposed), segments."""

    candidates: Side
    vectorizer: TfidfVectorizer
    text_t: sp.csr_matrix  # vocabulary × candidates
    seg_t: sp.csr_matrix  # segments × candidates
    config: MatchConfig

    @classmethod
    def build(cls, candidates: Side, config: MatchConfig) -> Index:
        """Fit the TF-IDF vocabulary on the candidate texts (stop n-grams dropped)."""
        n = len(candidates)
        max_df = max(int(config.stop_df * n), config.stop_min)
        vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(config.ngram_min, config.ngram_max),
                              sublinear_tf=True, dtype=np.float32, max_df=max_df if n > max_df else 1.0)
        texts = [t if t.strip() else " " for t in candidates.text]
        try:
            mat = vec.fit_transform(texts)
        except ValueError:  # empty vocabulary (all texts blank)
            vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 1), dtype=np.float32)
            mat = vec.fit_transform([*texts, "x"])[:n]
        return cls(candidates, vec, sp.csr_matrix(mat.T), sp.csr_matrix(candidates.segments.T), config)

    def vectorize(self, texts: list[str]) -> sp.csr_matrix:
        """TF-IDF rows of query texts in the candidate vocabulary (L2-normalised)."""
        return sp.csr_matrix(self.vectorizer.transform([t if t.strip() else " " for t in texts]))


def _unit_codes(a: npt.NDArray[np.object_], b: npt.NDArray[np.object_]) -> tuple[IntArray, IntArray]:
    """Integer codes of two unit arrays in one vocabulary ('' = unknown -> -1)."""
    vocab = {u: i for i, u in enumerate(sorted({str(x) for x in (*set(a.tolist()), *set(b.tolist()))} - {""}))}
    return (np.array([vocab.get(str(x), -1) for x in a], dtype=np.int64),
            np.array([vocab.get(str(x), -1) for x in b], dtype=np.int64))


def pair_components(index: Index, queries: Side, qtext: sp.csr_matrix, decay: FloatArray,
                    graph: Graph, qi: IntArray, ci: IntArray,
                    text: FloatArray | None = None, seg: FloatArray | None = None,
                    net: FloatArray | None = None, tie: FloatArray | None = None,
                    units: tuple[IntArray, IntArray] | None = None) -> FloatArray:
    """Component values (pairs × :data:`COMPONENTS`) of query rows ``qi`` and candidates ``ci``.

    Components already known for the pairs (from the sparse products) may be passed in;
    the others are computed here pair by pair (vectorised)."""
    cand = index.candidates
    m = len(qi)
    out = np.zeros((m, len(COMPONENTS)), order="F")  # column-major: each component contiguous
    if m == 0:
        return out
    if text is None:
        ct = sp.csr_matrix(index.text_t.T)
        text = np.asarray(qtext[qi].multiply(ct[ci]).sum(axis=1)).ravel()
    if seg is None:
        seg = np.asarray(queries.segments[qi].multiply(cand.segments[ci]).sum(axis=1)).ravel()
    out[:, 0] = text
    np.minimum(seg, 1.0, out=out[:, 1])
    req = queries.certs[qi]
    nreq = _popcount(req)
    has = nreq > 0
    if has.any():
        out[has, 2] = _popcount(req[has] & cand.certs[ci[has]]) / nreq[has]
    qz, cz = queries.zone[qi], cand.zone[ci]
    ok = (qz >= 0) & (cz >= 0) & (qz < decay.shape[0]) & (cz < decay.shape[1])
    if ok.any():
        out[ok, 3] = decay[qz[ok], cz[ok]]
    qu, cu = units if units is not None else _unit_codes(queries.unit, cand.unit)
    qa, ca = queries.amount[qi], cand.amount[ci]
    same = (qu[qi] >= 0) & (qu[qi] == cu[ci]) & (qa > 0) & np.isfinite(ca)
    if same.any():
        out[same, 4] = np.minimum(1.0, ca[same] / qa[same])
    qn, cn = queries.node[qi], cand.node[ci]
    if tie is None or net is None:
        okn = (qn >= 0) & (cn >= 0)
        tie_v = np.zeros(m)
        aa_v = np.zeros(m)
        if okn.any() and graph.adjacency.shape[0]:
            a, b = qn[okn], cn[okn]
            tie_v[okn] = np.asarray(graph.adjacency[a, b]).ravel()
            left = graph.adjacency[a].multiply(graph.aa_weight[None, :])
            aa_v[okn] = np.asarray(left.multiply(graph.adjacency[b]).sum(axis=1)).ravel()
        tie = tie_v if tie is None else tie
        net = aa_v / (1.0 + aa_v) if net is None else net
    out[:, 5] = tie
    out[:, 6] = net
    return out


def _top_rows(indptr: IntArray, cols: IntArray, score: FloatArray, k: int
              ) -> tuple[list[IntArray], list[IntArray]]:
    """Per row (CSR layout): positions of the top ``k`` scores, ties by column."""
    rows_pos: list[IntArray] = []
    counts: list[IntArray] = []
    for r in range(len(indptr) - 1):
        lo, hi = int(indptr[r]), int(indptr[r + 1])
        n = hi - lo
        counts.append(np.array([n]))
        if n == 0:
            rows_pos.append(np.zeros(0, dtype=np.int64))
            continue
        s = score[lo:hi]
        if n > k:
            kth = np.partition(s, n - k)[n - k]
            sel = np.flatnonzero(s >= kth)
        else:
            sel = np.arange(n)
        order = np.lexsort((cols[lo:hi][sel], -s[sel]))[:k]
        rows_pos.append(lo + sel[order])
    return rows_pos, counts


def _keys(mat: sp.spmatrix, n_c: int) -> tuple[IntArray, FloatArray]:
    """Row-major pair keys (row · n_c + column) and values of the stored entries of ``mat``."""
    coo = sp.coo_matrix(mat)
    return coo.row.astype(np.int64) * n_c + coo.col.astype(np.int64), np.asarray(coo.data, dtype=np.float64)


def _aligned(keys: IntArray, part: tuple[IntArray, FloatArray] | None) -> FloatArray:
    """Values of a part at the (sorted, unique) pair ``keys``; 0 where it has no entry."""
    out = np.zeros(len(keys))
    if part is None or not len(part[0]):
        return out
    k, v = part
    pos = np.searchsorted(keys, k)
    ok = pos < len(keys)
    ok[ok] = keys[pos[ok]] == k[ok]
    out[pos[ok]] = v[ok]  # CSR products and matrices hold each pair once
    return out


def match(index: Index, queries: Side, *, decay: FloatArray, graph: Graph,
          allowed: sp.csr_matrix | None = None, relevant: sp.csr_matrix | None = None) -> Ranking:
    """Top ``config.k`` relevant candidates of every query (see the module docstring).

    ``decay`` is the zone × zone matrix exp(−t/τ); ``graph`` the transaction graph (node
    indices of both sides point into it); ``allowed`` (queries × candidates, optional) masks
    pairs out (0 = not allowed, e.g. an SME and an offer it is not eligible for);
    ``relevant`` (same shape, optional) makes its non-zero pairs relevant whatever their
    content (every eligible service offer). A query's own enterprise is never its match.

    Method per block of queries: sparse products give text similarity (entries ≥
    ``min_text``), segment matches and the graph signals; their pairs (as row-major integer
    keys, merged with ``numpy.unique``) are the relevant pairs; the other components are
    evaluated on those pairs only; ``numpy.argpartition`` picks each row's top ``k``."""
    cfg = index.config
    w = cfg.weights.vector()
    cand = index.candidates
    n_c = len(cand)
    qtext = index.vectorize(queries.text)
    units = _unit_codes(queries.unit, cand.unit)
    adj = graph.adjacency
    cnode = cand.node
    has_node = cnode >= 0
    node_to_c = sp.csr_matrix((np.ones(int(has_node.sum())), (cnode[has_node], np.flatnonzero(has_node))),
                              shape=(adj.shape[0], n_c)) if adj.shape[0] else None
    aa_right = (sp.csr_matrix(adj.multiply(graph.aa_weight[:, None])) @ node_to_c) \
        if node_to_c is not None else None
    adj_c = (adj @ node_to_c) if node_to_c is not None else None
    n_relevant = np.zeros(len(queries), dtype=np.int64)

    def block(b0: int) -> tuple[int, IntArray, IntArray, IntArray, FloatArray, FloatArray]:
        """Top-k of the queries b0 … b0 + block − 1: (b0, relevant counts, matches per row,
        and the selected columns, scores and components, row after row)."""
        b1 = min(b0 + cfg.block, len(queries))
        nb = b1 - b0
        text = _keys(qtext[b0:b1] @ index.text_t, n_c)
        strong = text[1] >= cfg.min_text
        seg = _keys(queries.segments[b0:b1] @ index.seg_t, n_c)
        parts: list[IntArray] = [text[0][strong], seg[0]]
        tie = net = None
        if adj_c is not None and aa_right is not None:
            qn = queries.node[b0:b1]
            sel = sp.csr_matrix((np.ones(int((qn >= 0).sum())), (np.flatnonzero(qn >= 0), qn[qn >= 0])),
                                shape=(nb, adj.shape[0]))
            tie = _keys(sel @ adj_c, n_c)
            net = _keys(sel @ adj @ aa_right, n_c)
            parts += [tie[0], net[0]]
        if relevant is not None:
            parts.append(_keys(relevant[b0:b1], n_c)[0])
        keys = np.sort(np.concatenate(parts))
        if len(keys):
            keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
        rows_l = keys // n_c
        cols = keys - rows_l * n_c
        drop = (queries.node[b0:b1][rows_l] >= 0) & (cnode[cols] == queries.node[b0:b1][rows_l])
        if allowed is not None:
            drop |= _aligned(keys, _keys(allowed[b0:b1], n_c)) <= 0
        tie_v = np.minimum(_aligned(keys, tie), 1.0)
        if cfg.exclude_existing:
            drop |= tie_v > 0
        if drop.any():
            keep = ~drop
            keys, rows_l, cols, tie_v = keys[keep], rows_l[keep], cols[keep], tie_v[keep]
        aa_v = _aligned(keys, net)
        comp = pair_components(index, queries, qtext, decay, graph, b0 + rows_l, cols,
                               text=_aligned(keys, text), seg=_aligned(keys, seg), tie=tie_v,
                               net=aa_v / (1.0 + aa_v), units=units)
        score = comp @ w
        indptr = np.searchsorted(rows_l, np.arange(nb + 1))
        pos, counts = _top_rows(indptr, cols, score, cfg.k)
        sel = np.concatenate(pos) if pos else np.zeros(0, dtype=np.int64)
        return (b0, np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64),
                np.array([len(x) for x in pos], dtype=np.int64), cols[sel], score[sel], comp[sel])

    out_q: list[IntArray] = []
    out_r: list[IntArray] = []
    out_c: list[IntArray] = []
    out_s: list[FloatArray] = []
    out_comp: list[FloatArray] = []
    starts = range(0, len(queries), cfg.block)
    workers = max(1, min(cfg.workers, len(starts)))
    if workers > 1:  # scipy's sparse products and numpy's sorts release the GIL
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(block, starts))
    else:
        done = [block(b0) for b0 in starts]
    for b0, counts, per_row, cols, score, comp in done:
        n_relevant[b0:b0 + len(counts)] = counts
        out_q.append(np.repeat(b0 + np.arange(len(per_row)), per_row))
        out_r.append(np.concatenate([np.arange(1, n + 1) for n in per_row]) if len(per_row) else
                     np.zeros(0, dtype=np.int64))
        out_c.append(cols)
        out_s.append(score)
        out_comp.append(comp)
    if not out_q or not sum(len(x) for x in out_q):
        e = np.zeros(0, dtype=np.int64)
        return Ranking(e, e, e, np.zeros(0), np.zeros((0, len(COMPONENTS))), n_relevant)
    return Ranking(np.concatenate(out_q), np.concatenate(out_r), np.concatenate(out_c),
                   np.concatenate(out_s), np.vstack(out_comp), n_relevant)


def brute_force(index: Index, queries: Side, *, decay: FloatArray, graph: Graph,
                allowed: FloatArray | None = None, relevant: FloatArray | None = None) -> FloatArray:
    """Dense score matrix (queries × candidates; NaN where not relevant): the reference the
    tests compare :func:`match` with on small inputs."""
    nq, nc = len(queries), len(index.candidates)
    qi = np.repeat(np.arange(nq), nc)
    ci = np.tile(np.arange(nc), nq)
    qtext = index.vectorize(queries.text)
    comp = pair_components(index, queries, qtext, decay, graph, qi, ci)
    score = comp @ index.config.weights.vector()
    rel = (comp[:, 0] >= index.config.min_text) & (comp[:, 0] > 0)
    rel |= (comp[:, 1] > 0) | (comp[:, 5] > 0) | (comp[:, 6] > 0)
    qn, cn = queries.node[qi], index.candidates.node[ci]
    if relevant is not None:
        rel = rel | (np.asarray(relevant).reshape(-1) > 0)
    rel &= ~((qn >= 0) & (qn == cn))
    if allowed is not None:
        rel &= np.asarray(allowed).reshape(-1) > 0
    if index.config.exclude_existing:
        rel &= comp[:, 5] == 0
    return np.where(rel, score, np.nan).reshape(nq, nc)
