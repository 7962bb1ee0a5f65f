"""One bilingual vocabulary: every enumeration labelled exactly once, no copies elsewhere."""

from __future__ import annotations

import ast
from pathlib import Path

from parklink import vocab

SRC = Path(__file__).resolve().parents[2] / "src" / "parklink"


def test_every_enumeration_has_one_label_per_code() -> None:
    assert vocab.check() == []
    for name, (names, _codes) in vocab.VOCABULARIES.items():
        for code, (zh, en) in names.items():
            assert zh and en, (name, code)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), (name, code, zh)  # Chinese label


def test_label_forms() -> None:
    assert vocab.label(vocab.METHOD_NAMES, "vikor") == "多准则妥协解排序法 VIKOR"
    assert vocab.label(vocab.TRANSPORT_MODE_NAMES, "rail", "en") == "rail"
    assert vocab.label(vocab.COOPERATION_MODE_NAMES, "enclave_economy", "zh") == "飞地经济"
    assert vocab.label(vocab.CHAIN_NAMES, "nope") == "nope"


def test_no_module_defines_its_own_label_table() -> None:
    """No dict literal mapping the codes of a vocabulary to (zh, en) pairs outside vocab.py."""
    vocabularies = {name: set(names) for name, (names, _c) in vocab.VOCABULARIES.items()}
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "vocab.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Dict) or len(node.keys) < 2:
                continue
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
            pairs = all(isinstance(v, ast.Tuple) and len(v.elts) == 2 for v in node.values)
            if pairs and any(keys and keys <= codes and len(keys) >= min(2, len(codes))
                             for codes in vocabularies.values()):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_web_and_cli_enumerations_are_the_vocabulary_tuples() -> None:
    from typing import get_args

    from parklink.web.routers.analyses_common import Scoring
    from parklink.web.routers.analyses_route import RouteRequest

    assert get_args(Scoring.model_fields["method"].annotation) == vocab.METHODS
    assert get_args(Scoring.model_fields["weighting"].annotation) == vocab.WEIGHTINGS
    assert get_args(RouteRequest.model_fields["cargo"].annotation) == vocab.CARGOS
    from parklink.evaluate.methods import METHODS

    assert tuple(METHODS) == vocab.METHODS
