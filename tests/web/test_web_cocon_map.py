"""Co-construction map layers: GeoJSON per layer and the figure traces, counted by hand on the
tiny registry plus records written through the API (public reads; synthetic rows flagged)."""

from __future__ import annotations

from fastapi.testclient import TestClient

BASE = "/api/coconstruction"


def _add(client: TestClient, office: dict[str, str]) -> None:
    rec = {"enterprise_name": "乙企业", "issuing_body": "测试机关", "year": 2024, "confidence": "likely",
           "source_url": "https://example.org/list"}
    for rid, park, kind, tier, level in [("rec-2", "cq-b", "intelligent_factory", "basic", "national"),
                                         ("rec-3", "cq-b", "digital_workshop", None, "provincial"),
                                         ("rec-4", "cq-b", "digital_workshop", None, "provincial"),
                                         ("rec-5", None, "digital_workshop", None, "municipal")]:
        body = {**rec, "recognition_id": rid, "park_id": park, "kind": kind, "tier": tier, "list_level": level}
        assert client.post(f"{BASE}/smart_recognitions", json=body, headers=office).status_code == 201
    plat = {"name_zh": "乙", "name_en": "B", "host_park_id": "sc-a", "confidence": "likely"}
    for pid, kind, level in [("pf-2", "key_laboratory", "provincial"), ("pf-3", "pilot_base", "national")]:
        body = {**plat, "platform_id": pid, "kind": kind, "level": level}
        assert client.post(f"{BASE}/platforms", json=body, headers=office).status_code == 201
    pip = {"pip_id": "pip-2", "name_zh": "乙园中园", "name_en": "Park-in-park 2", "host_region": "510112",
           "status": "planned", "confidence": "likely", "source_url": "https://example.org/p"}
    assert client.post(f"{BASE}/parks_in_park", json=pip, headers=office).status_code == 201


def test_layers_count_by_park_kind_and_level(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    _add(client, headers["programme_office"])
    pip = client.get("/api/map/layers/pip")
    assert pip.status_code == 200 and pip.headers["content-type"].startswith("application/geo+json")
    feats = {f["properties"]["pip_id"]: f for f in pip.json()["features"]}
    assert feats["pip-1"]["geometry"]["coordinates"] == [106.51, 29.6]  # host park cq-b
    assert feats["pip-1"]["properties"]["group"] == "hq_base" and feats["pip-1"]["properties"]["synthetic"]
    two = feats["pip-2"]["properties"]  # no host park: the host district's seat, approximate, mode not stated
    assert two["approximate"] and two["group"] == "unknown" and not two["synthetic"]
    assert feats["pip-2"]["geometry"]["coordinates"] == [104.27, 30.56]  # 510112's seat in the tiny registry

    smart = client.get("/api/map/layers/smart").json()
    got = {(f["properties"]["park_id"], f["properties"]["group"]): (f["properties"]["count"],
                                                                    f["properties"]["by_level"],
                                                                    f["properties"]["synthetic"])
           for f in smart["features"]}
    # rec-1 (tiny, synthetic: advanced factory) + rec-2 basic factory; rec-3/4 provincial workshops
    assert got == {("cq-b", "intelligent_factory"): (2, {"advanced": 1, "basic": 1}, True),
                   ("cq-b", "digital_workshop"): (2, {"provincial": 2}, False)}
    assert smart["unplaced"] == 1  # rec-5 has no park

    plats = client.get("/api/map/layers/platforms").json()
    got = {f["properties"]["group"]: (f["properties"]["park_id"], f["properties"]["count"], f["properties"]["by_kind"])
           for f in plats["features"]}
    assert got == {"provincial": ("sc-a", 2, {"industrial_design_centre": 1, "key_laboratory": 1}),
                   "national": ("sc-a", 1, {"pilot_base": 1})}

    fig = client.get("/api/map/figure", params={"layers": "platforms,pip,smart"}).json()
    traces = {t["meta"]: t for t in fig["data"]}
    assert [t["meta"] for t in fig["data"]][4:] == [
        "pip:hq_base", "pip:unknown", "smart:digital_workshop", "smart:intelligent_factory",
        "platforms:national", "platforms:provincial"]
    assert traces["pip:hq_base"]["name"].startswith("园中园 Parks in the park: 总部+基地")
    factory = traces["smart:intelligent_factory"]
    assert "先进级 advanced: 1" in factory["text"][0] and "合成（演示） synthetic" in factory["text"][0]
    assert factory["marker"]["line"]["color"] == ["#facc15"]  # synthetic outline
    assert "合成" not in traces["smart:digital_workshop"]["text"][0]
    plain = client.get("/api/map/figure").json()
    assert [t["meta"] for t in plain["data"]] == ["districts", "pairs", "hubs", "parks"]


def test_layer_validation_and_page(ro_client: TestClient) -> None:
    assert ro_client.get("/api/map/layers/bogus").status_code == 422
    assert ro_client.get("/api/map/figure", params={"layers": "PIP;x"}).status_code == 422
    # unknown names in a well-formed list are ignored
    fig = ro_client.get("/api/map/figure", params={"layers": "pip,nope"}).json()
    assert [t["meta"] for t in fig["data"]][4:] == ["pip:hq_base"]
    page = ro_client.get("/map", params={"layers": "smart"}).text
    assert 'id="layer-smart" name="layers" value="smart" checked' in page
    assert 'id="layer-pip" name="layers" value="pip">' in page
    assert "Legend of the co-construction layers" in page and "模式未说明" in page


def test_dashboard_without_firm_data_says_so(ro_client: TestClient) -> None:
    html = ro_client.get("/").text
    assert 'data-state="no_firms"' in html and "parklink db init --firms" in html


def test_park_page_shows_smart_indicators(ro_client: TestClient) -> None:
    import re

    html = ro_client.get("/parks/cq-b").text
    section = html[html.index("Park smart-manufacturing indicators"):]
    section = section[:section.index("</table>")]
    head = re.findall(r"<th scope=\"col\">([a-z_]+)</th>", section)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", section, flags=re.S)]
    row = dict(zip(head, cells, strict=True))
    # tiny registry: rec-1 (cq-b, advanced intelligent factory, 2024), as-1 (E1, level 3)
    assert (row["intelligent_factories"], row["digital_workshops"], row["tier_advanced"]) == ("1", "0", "1")
    assert (row["assessed"], row["mean_level"]) == ("1", "3")
    assert "Park smart-manufacturing indicators" not in ro_client.get("/parks/sc-a").text  # unknown, not zero
