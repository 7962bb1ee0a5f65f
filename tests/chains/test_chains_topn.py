"""The exact top-n per group of the ranking (:func:`parklink.chains.queries.top_per_group`):
its histogram pre-filter must never drop a row of the top.

The reference is an independent pandas sort (score descending, tie-break ascending, the
first ``n`` of each group). Hypothesis draws groups with many equal scores, scores outside
the binning range, groups smaller than ``n`` and ``n`` larger than every group.
"""

from __future__ import annotations

import ibis
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parklink.chains.queries import HISTOGRAM_BINS, top_per_group

_CON = ibis.duckdb.connect()


def _reference(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    s = frame.sort_values(["key", "score", "rid"], ascending=[True, False, True])
    s = s.assign(rank=s.groupby("key").cumcount() + 1)
    return s[s["rank"] <= n].sort_values(["key", "rank"]).reset_index(drop=True)


def _ours(frame: pd.DataFrame, n: int, lo: float, hi: float) -> pd.DataFrame:
    expr = top_per_group(ibis.memtable(frame), ["key"], "score", "rid", n, lo, hi)
    got = _CON.execute(expr)
    return got.sort_values(["key", "rank"]).reset_index(drop=True)[["key", "score", "rid",
                                                                    "rank"]]


# scores drawn from a few levels (many exact ties) or freely, some outside [lo, hi]
_scores = st.one_of(st.sampled_from([-3.0, 0.0, 0.25, 0.5, 0.5000001, 1.0, 7.0]),
                    st.floats(-2.0, 3.0, allow_nan=False))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.integers(0, 4), _scores), min_size=1, max_size=300),
       n=st.integers(1, 40))
def test_top_per_group_equals_a_full_sort(rows: list[tuple[int, float]], n: int) -> None:
    frame = pd.DataFrame(rows, columns=["key", "score"]).astype({"key": "int64"})
    frame["rid"] = range(len(frame))  # unique tie-break, in an order unrelated to score
    frame["rid"] = (frame["rid"] * 7919) % 100_003
    want = _reference(frame, n)
    got = _ours(frame, n, lo=0.0, hi=1.0)
    pd.testing.assert_frame_equal(got, want[["key", "score", "rid", "rank"]],
                                  check_dtype=False)


def test_a_crowded_bin_keeps_every_tied_row_of_the_boundary() -> None:
    # 3 rows above, then 50 rows in the same bin as the 5th score: the 4th and 5th come
    # from that bin, by tie-break
    width = 1.0 / HISTOGRAM_BINS
    top = [0.99, 0.98, 0.97]
    crowd = [0.5 + width * 0.1 * (i % 3) / 3 for i in range(50)]
    frame = pd.DataFrame({"key": 1, "score": top + crowd, "rid": range(53, 0, -1)})
    got = _ours(frame, 5, 0.0, 1.0)
    want = _reference(frame, 5)
    assert list(got["rid"]) == list(want["rid"])
    assert list(got["rank"]) == [1, 2, 3, 4, 5]
