"""Time-split hold-out of a link history (时间切分): fit on years < T, test on links new in T.

``links`` has one row per observed (query, item, year) link. For test year *T*:

* **train links**: every row with ``year < T`` (features and fitting may use only these);
* **test positives** (``target="new"``): pairs linked in *T* and in **no** year < *T*;
  ``target="all"``: every pair linked in *T*;
* **already-linked pairs** (linked before *T*) cannot be new links: with ``target="new"``
  they are removed from the candidate lists (:meth:`TimeSplit.eligible`);
* **cold queries**: queries with no link before *T* (nothing to learn from their history;
  they stay in the test, ranked on item features only, and are counted);
* **cold items**: items with no link before *T* (degree 0, no history; they stay candidates
  and are counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from parklink.errors import ValidationError


@dataclass(frozen=True)
class TimeSplit:
    """A time split at test year ``test_year`` (see the module docstring)."""

    test_year: int
    target: str
    train: pd.DataFrame  # links with year < T
    positives: pd.DataFrame  # (query_id, item_id) of the test year
    already_linked: pd.DataFrame  # (query_id, item_id) linked before T
    cold_queries: frozenset[str]
    cold_items: frozenset[str]

    def eligible(self, candidates: pd.DataFrame) -> pd.DataFrame:
        """Candidates minus the already-linked pairs (``target="new"``), with a 0/1 ``label``."""
        c = candidates.copy()
        if self.target == "new" and len(self.already_linked):
            key = self.already_linked.assign(_x=1)
            c = c.merge(key, on=["query_id", "item_id"], how="left")
            c = c[c["_x"].isna()].drop(columns="_x")
        lab = self.positives.assign(label=1.0)
        c = c.merge(lab, on=["query_id", "item_id"], how="left")
        c["label"] = c["label"].fillna(0.0)
        return c.reset_index(drop=True)

    def counts(self) -> dict[str, int]:
        """Sizes of the parts (for ``explain``)."""
        return {"train_links": len(self.train), "test_positives": len(self.positives),
                "already_linked_pairs": len(self.already_linked),
                "cold_queries": len(self.cold_queries), "cold_items": len(self.cold_items)}


def time_split(links: pd.DataFrame, test_year: int, *,
               target: Literal["new", "all"] = "new") -> TimeSplit:
    """Split ``links`` (columns ``query_id``, ``item_id``, ``year``) at ``test_year``."""
    for col in ("query_id", "item_id", "year"):
        if col not in links.columns:
            raise ValidationError.single("links", f"missing column {col}", column=col)
    if target not in ("new", "all"):
        raise ValidationError.single("target", "target must be 'new' or 'all'", value=target)
    t = int(test_year)
    lk = links[["query_id", "item_id", "year"]].astype({"query_id": str, "item_id": str, "year": int})
    train = lk[lk["year"] < t].reset_index(drop=True)
    test = lk[lk["year"] == t][["query_id", "item_id"]].drop_duplicates()
    before = train[["query_id", "item_id"]].drop_duplicates()
    if target == "new":
        m = test.merge(before.assign(_x=1), on=["query_id", "item_id"], how="left")
        test = m[m["_x"].isna()].drop(columns="_x")
    cold_q = frozenset(set(test["query_id"]) - set(train["query_id"]))
    cold_i = frozenset(set(test["item_id"]) - set(train["item_id"]))
    return TimeSplit(test_year=t, target=target, train=train,
                     positives=test.reset_index(drop=True), already_linked=before.reset_index(drop=True),
                     cold_queries=cold_q, cold_items=cold_i)
