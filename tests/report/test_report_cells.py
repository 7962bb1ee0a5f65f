"""Table cells: the same figure gives the same text whatever the float noise of the order it
was summed in (the bulletin's PDF stays byte-identical when DuckDB sums in parallel)."""

from __future__ import annotations

import math

from parklink.report.doc import cell_text


def test_sum_order_noise_gives_the_same_text() -> None:
    parts = [19852.7, 0.1, 0.1, 0.1]
    forward, backward, exact = sum(parts), sum(reversed(parts)), math.fsum(parts)
    assert forward != backward  # float addition is not associative: the noise is real
    assert cell_text(forward, "signed_investment_cny_m") == cell_text(backward, "signed_investment_cny_m") \
        == cell_text(exact, "signed_investment_cny_m") == "19,853"
    assert cell_text(19853.000000000004) == "19,853"


def test_fractions_codes_and_shares_unchanged() -> None:
    assert cell_text(19853.25) == "19,853.25"
    assert cell_text(0.0004) == "0.000" and cell_text(0.5) == "0.500"
    assert cell_text(2023.0, "year") == "2023" and cell_text(1234567.0) == "1,234,567"
    assert cell_text(-0.0) == "0" and cell_text(-3.0) == "-3"
    assert cell_text(0.1234, "performance_rate") == "12.3%"
    assert cell_text(float("nan")) == "—" and cell_text(None) == "—"
