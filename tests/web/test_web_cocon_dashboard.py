"""The dashboard's platform coverage of chain gaps: computed by the platform-gap run of the
one input path in a background job, the same numbers as the CLI path and the API."""

from __future__ import annotations

import re
import time
from pathlib import Path

from fastapi.testclient import TestClient

from parklink.coconstruction.runs import run_platform_gaps
from parklink.inputs import session_inputs
from parklink.store.db import session_scope

from .test_web_chain_pages import _chain_data_dir, chain_client, chain_root  # noqa: F401


def _dashboard(client: TestClient) -> str:
    for _ in range(100):  # the first view may answer "computing" while the job runs
        html = client.get("/", params={"lang": "en"}).text
        if 'data-state="computing"' not in html:
            return html
        time.sleep(0.2)
    raise AssertionError("platform coverage still computing")


def test_dashboard_coverage_matches_the_run(chain_client: TestClient, chain_root: Path) -> None:  # noqa: F811
    html = _dashboard(chain_client)
    assert 'data-state="ready"' in html
    with session_scope(f"sqlite:///{chain_root / 'db.sqlite'}") as s:
        run = run_platform_gaps(session_inputs(s))  # the CLI / plan path
    summary = run.summary()
    gaps, covered = summary["gaps"], summary["covered"]
    assert gaps > 0
    assert re.search(r'id="cov-gaps">(\d+)<', html).group(1) == str(gaps)  # type: ignore[union-attr]
    share = re.search(r'id="cov-share">([0-9.]+)% \((\d+)/(\d+)\)', html)
    assert share is not None
    assert (int(share.group(2)), int(share.group(3))) == (covered, gaps)
    assert float(share.group(1)) == round(100 * covered / gaps, 1)
    sites = run.explain()["sites"]
    best = sites[(sites["chain"] == "*") & (sites["rank"] == 1)]
    if len(best):
        cover = int(best["gaps_covered"].iloc[0])
        assert f"/parks/{best['park_id'].iloc[0]}" in html
        assert f"{100 * (covered + cover) / gaps:.1f}%" in html
    api = chain_client.get("/api/coconstruction/analyses/platform-gaps").json()
    assert (api["summary"]["gaps"], api["summary"]["covered"]) == (gaps, covered)
    assert api["summary"]["fingerprint"]["digest"] == summary["fingerprint"]["digest"]
    assert summary["fingerprint"]["digest"][:12] in html



def test_platforms_page_shows_gaps_beside_chain_gaps(chain_client: TestClient, chain_root: Path) -> None:  # noqa: F811
    _dashboard(chain_client)  # the job is done
    with session_scope(f"sqlite:///{chain_root / 'db.sqlite'}") as s:
        gaps = run_platform_gaps(session_inputs(s)).to_frame()
    park = str(gaps["park_id"].iloc[0])
    mine = gaps[gaps["park_id"] == park]
    html = chain_client.get("/coconstruction/platforms", params={"park": park, "lang": "en"}).text
    section = html[html.index("Platform gaps (beside the chain gaps)"):]
    section = section[:section.index("</table>")]
    assert section.count("<tr") - 1 == len(mine)  # header row + one row per gap of the park
    for seg in mine["segment_id"]:
        assert seg in section
    uncovered = int((~mine["covered"].astype(bool)).sum())
    assert section.count("build or share a platform") == uncovered
