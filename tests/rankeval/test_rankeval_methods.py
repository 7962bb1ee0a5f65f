"""One list of compared methods for every evaluation: models, the standard baselines, extras, oracle."""

from __future__ import annotations

import pytest

from parklink.errors import ValidationError
from parklink.rankeval.methods import BASELINES, standard_methods
from parklink.vocab import MATCH_METHOD_NAMES, RANKEVAL_METHOD_NAMES


def test_order_kinds_names_and_columns() -> None:
    ms = standard_methods({"learned": "score_learned", "popularity_size": "log_size"},
                          extra_baselines=("hand_weights",))
    assert [m.name for m in ms] == ["learned", *BASELINES, "hand_weights", "oracle"]
    assert [m.kind for m in ms] == ["model"] + ["baseline"] * (len(BASELINES) + 1) + ["oracle"]
    by = {m.name: m for m in ms}
    assert by["learned"].column == "score_learned" and by["popularity_size"].column == "log_size"
    assert by["nearest"].column == "nearest"  # not mapped: the method's own name
    assert (by["random"].name_zh, by["random"].name_en) == RANKEVAL_METHOD_NAMES["random"]


def test_two_models_without_oracle_and_name_overrides() -> None:
    ms = standard_methods({}, models=("learned", "hand"), oracle=False, names=MATCH_METHOD_NAMES)
    assert [m.name for m in ms][:2] == ["learned", "hand"] and ms[1].kind == "model"
    assert "oracle" not in {m.name for m in ms}
    assert (ms[0].name_zh, ms[0].name_en) == MATCH_METHOD_NAMES["learned"]


def test_unnamed_method_or_no_model_is_refused() -> None:
    with pytest.raises(ValidationError):
        standard_methods({}, models=("mystery",))
    with pytest.raises(ValidationError):
        standard_methods({}, models=())
