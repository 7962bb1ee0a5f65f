"""The co-construction section of ``parklink plan`` on the embedded default and hand-made rows."""

from __future__ import annotations

import pandas as pd

from parklink.coconstruction.plan import (
    cocon_section,
    mode_table,
    platform_coverage_table,
    smart_table,
)


def test_section_on_embedded_default_without_firms() -> None:
    from parklink.inputs import embedded_inputs

    inputs = embedded_inputs()
    sec = cocon_section(inputs)
    keys = [t.key for t in sec.tables]
    assert keys[:3] == ["pip_by_mode", "smart_by_park", "smart_aggregates"]
    modes = next(t.frame for t in sec.tables if t.key == "pip_by_mode").set_index("mode")["parks"]
    assert modes.to_dict() == {"rd_transformation": 1, "terminal_support": 1, "unknown": 1}
    if inputs.firms is None or not inputs.firms.firms_path.is_file():
        assert any("platform coverage left out" in n for n in sec.notes)


def test_tables_by_hand() -> None:
    pip = pd.DataFrame({"pip_id": ["a", "b", "c"], "mode": ["hq_base", "hq_base", None],
                        "leaders": ["OPPO", "vivo", None], "leader_ids": [None, "E1", None]})
    m = mode_table(pip).set_index(["mode", "leader"])["parks"].to_dict()
    assert m == {("hq_base", "OPPO"): 1, ("hq_base", "vivo"): 1, ("hq_base", "E1"): 1, ("unknown", "—"): 1}
    rec = pd.DataFrame({"park_id": ["p", "p", None], "kind": ["digital_workshop"] * 2 + ["intelligent_factory"],
                        "tier": [None, None, "basic"]})
    s = smart_table(rec).set_index(["park_id", "kind"])["count"].to_dict()
    assert s == {("p", "digital_workshop"): 2, ("—", "intelligent_factory"): 1}
    gaps = pd.DataFrame({"park_id": ["p", "p", "q"], "chain": ["auto"] * 3, "covered": [True, False, False]})
    cov = platform_coverage_table(gaps).set_index("park_id")["share"].to_dict()
    assert cov == {"p": 0.5, "q": 0.0}
