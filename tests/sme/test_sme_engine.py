"""The matching engine against hand computations and brute force."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp

from parklink.sme.engine import (
    COMPONENTS,
    Graph,
    Index,
    MatchConfig,
    MatchWeights,
    Side,
    brute_force,
    match,
)


def side(texts: list[str], segs: list[list[int]], n_seg: int = 4, *, certs: list[int] | None = None,
         zone: list[int] | None = None, amount: list[float] | None = None, unit: list[str] | None = None,
         node: list[int] | None = None) -> Side:
    n = len(texts)
    rows = [r for r, s in enumerate(segs) for _ in s]
    cols = [c for s in segs for c in s]
    return Side(np.array([f"x{i}" for i in range(n)], dtype=object), texts,
                sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n_seg)),
                np.array(certs or [0] * n, dtype=np.int64), np.array(zone or [-1] * n, dtype=np.int64),
                np.array(amount or [np.nan] * n, dtype=np.float64),
                np.array(unit or [""] * n, dtype=object), np.array(node or [-1] * n, dtype=np.int64))


def ngrams(text: str) -> Counter[str]:
    """char_wb n-grams (2, 3) as scikit-learn documents them: each word padded with a space."""
    out: Counter[str] = Counter()
    for word in text.lower().split():
        w = f" {word} "
        for n in (2, 3):
            for i in range(len(w) - n + 1):
                out[w[i:i + n]] += 1
    return out


def tfidf_cos(query: str, docs: list[str]) -> list[float]:
    """Cosine of sublinear tf × smooth idf vectors, computed by hand."""
    grams = [ngrams(d) for d in docs]
    df = Counter(g for d in grams for g in d)
    n = len(docs)
    idf = {g: math.log((1 + n) / (1 + df[g])) + 1 for g in df}

    def vec(c: Counter[str]) -> dict[str, float]:
        v = {g: (1 + math.log(k)) * idf[g] for g, k in c.items() if g in idf}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {g: x / norm for g, x in v.items()}

    q = vec(ngrams(query))
    return [sum(q.get(g, 0.0) * x for g, x in vec(d).items()) for d in grams]


def test_text_similarity_matches_hand_computation() -> None:
    docs = ["铝合金压铸件 die castings", "精密冲压件 stamping", "压铸模具 moulds", "线束 wire"]
    cfg = MatchConfig(k=4, weights=MatchWeights(1, 0, 0, 0, 0, 0, 0), stop_min=1000, min_text=0.0)
    idx = Index.build(side(docs, [[]] * 4), cfg)
    q = side(["压铸件 castings"], [[]])
    res = match(idx, q, decay=np.zeros((0, 0)), graph=Graph.empty())
    expected = tfidf_cos("压铸件 castings", docs)
    got = dict(zip(res.candidate.tolist(), res.components[:, 0].tolist(), strict=True))
    for j, e in enumerate(expected):
        assert got.get(j, 0.0) == pytest.approx(e, abs=1e-6)
    assert res.candidate[0] == 0 and expected[3] == 0.0 and 3 not in got  # no shared n-gram: not relevant


def test_identical_text_is_similarity_one_and_stop_ngrams_dropped() -> None:
    cfg = MatchConfig(k=2, weights=MatchWeights(1, 0, 0, 0, 0, 0, 0), stop_df=0.5, stop_min=1)
    docs = ["gear ab", "gear cd", "gear ef", "gear gh"]
    idx = Index.build(side(docs, [[]] * 4), cfg)
    assert " ge" not in idx.vectorizer.vocabulary_  # in all 4 texts > 0.5 · 4: a stop n-gram
    res = match(idx, side(["ab"], [[]]), decay=np.zeros((0, 0)), graph=Graph.empty())
    assert res.candidate.tolist() == [0] and res.components[0, 0] == pytest.approx(1.0)


def test_composite_score_by_hand() -> None:
    # candidate 0: same segment, 1 of 2 certs, zone 1 (2 h away), capacity 50 of 100 same unit,
    # an existing tie with the query's enterprise (node 0) and one common partner of degree 2
    cand = side(["x"], [[2]], certs=[0b01], zone=[1], amount=[50.0], unit=["pieces"], node=[1])
    q = side(["y"], [[2]], certs=[0b11], zone=[0], amount=[100.0], unit=["pieces"], node=[0])
    w = MatchWeights(text=0.0, segment=0.3, certification=0.2, travel=0.1, capacity=0.1, tie=0.2, network=0.1)
    cfg = MatchConfig(k=1, weights=w, travel_scale_h=4.0)
    hours = np.array([[0.0, 2.0], [2.0, 0.0]])
    # edges: 0-1 (the tie), 0-2 and 1-2 (node 2: the common partner, degree 2)
    g = Graph.from_edges(3, np.array([0, 0, 1]), np.array([1, 2, 2]))
    res = match(Index.build(cand, cfg), q, decay=np.exp(-hours / 4.0), graph=g)
    aa = 1 / math.log(2)
    comps = [0.0, 1.0, 0.5, math.exp(-0.5), 0.5, 1.0, aa / (1 + aa)]
    assert res.components[0] == pytest.approx(comps)
    assert res.score[0] == pytest.approx(sum(c * getattr(w, n) for c, n in zip(comps, COMPONENTS, strict=True)))


def test_a_query_never_matches_its_own_enterprise() -> None:
    cand = side(["gear", "gear"], [[1], [1]], node=[0, 1])
    q = side(["gear"], [[1]], node=[0])
    res = match(Index.build(cand, MatchConfig(k=5, stop_min=10)), q, decay=np.zeros((0, 0)),
                graph=Graph.from_edges(2, np.array([0]), np.array([1])))
    assert res.candidate.tolist() == [1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_top_k_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    words = ["铸件", "压铸", "冲压", "齿轮", "轴承", "线束", "gear", "cast", "mould", "chip", "pcb", "电池"]
    n_c, n_q, n_seg, n_zone, n_node = 300, 40, 6, 5, 320

    def texts(n: int) -> list[str]:
        return [" ".join(rng.choice(words, size=int(rng.integers(1, 4)))) for _ in range(n)]

    def segs(n: int) -> list[list[int]]:
        return [list(rng.choice(n_seg, size=int(rng.integers(0, 3)), replace=False)) for _ in range(n)]

    cand = side(texts(n_c), segs(n_c), n_seg, certs=rng.integers(0, 8, n_c).tolist(),
                zone=rng.integers(-1, n_zone, n_c).tolist(), amount=rng.uniform(0, 200, n_c).tolist(),
                unit=rng.choice(["pieces", "tonnes"], n_c).tolist(), node=rng.permutation(n_node)[:n_c].tolist())
    q = side(texts(n_q), segs(n_q), n_seg, certs=rng.integers(0, 8, n_q).tolist(),
             zone=rng.integers(0, n_zone, n_q).tolist(), amount=rng.uniform(1, 200, n_q).tolist(),
             unit=rng.choice(["pieces", "tonnes"], n_q).tolist(), node=rng.integers(-1, n_node, n_q).tolist())
    edges = rng.integers(0, n_node, size=(900, 2))
    g = Graph.from_edges(n_node, edges[:, 0], edges[:, 1])
    hours = rng.uniform(0, 6, (n_zone, n_zone))
    for excl in (False, True):
        cfg = MatchConfig(k=7, block=9, stop_min=40, exclude_existing=excl, min_text=0.2)
        idx = Index.build(cand, cfg)
        decay = np.exp(-hours / cfg.travel_scale_h)
        res = match(idx, q, decay=decay, graph=g)
        dense = brute_force(idx, q, decay=decay, graph=g)
        for r in range(n_q):
            row = dense[r]
            ok = np.flatnonzero(~np.isnan(row))
            assert res.relevant[r] == len(ok)
            want = ok[np.lexsort((ok, -row[ok]))][:7]
            got = res.candidate[res.query == r]
            assert np.allclose(res.score[res.query == r], row[want], atol=1e-9)
            assert got.tolist() == want.tolist()


def test_weak_text_alone_is_not_relevant() -> None:
    cand = side(["铝合金压铸件", "压铸模具", "线束"], [[], [], [1]])
    cfg = MatchConfig(k=3, stop_min=100, min_text=0.5)
    res = match(Index.build(cand, cfg), side(["压铸件"], [[1]]), decay=np.zeros((0, 0)), graph=Graph.empty())
    text = dict(zip(res.candidate.tolist(), res.components[:, 0].tolist(), strict=True))
    assert 2 in text  # the wanted segment makes it relevant without any text overlap
    assert all(v >= 0.5 for c, v in text.items() if c != 2)
