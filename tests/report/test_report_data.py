"""Report inputs: the optional registries read with the bundle, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from parklink.report.data import ReportConfig, read_report_inputs


def test_optional_registries_are_read_in_the_same_transaction(db_url: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from parklink.report import data
    from parklink.store import io
    from parklink.store import models as m
    from parklink.store.seed import init_default

    init_default(db_url, progress=False)
    plain = read_report_inputs(db_url, firm_root=tmp_path / "none")
    assert dict(plain.extras) == {} and plain.promotion() is None
    # pretend "targets" were outside the bundle, and add a kind whose schema is unknown (skipped)
    monkeypatch.setattr(data, "KINDS", tuple(k for k in data.KINDS if k != "targets"))
    monkeypatch.setitem(io.KINDS, "aaa_bogus", io.KindMap(m.Target, {}, {}))
    ri = read_report_inputs(db_url, firm_root=tmp_path / "none")
    assert set(ri.extras) == {"targets"} and len(ri.extras["targets"]) == 3
    assert ri.domain_counts("models") == {"targets": 3}
    cfg = ReportConfig("bulletin", "2025")
    assert ri.fingerprint(cfg).registry != plain.fingerprint(cfg).registry
    assert ri.fingerprint(cfg).config == plain.fingerprint(cfg).config
