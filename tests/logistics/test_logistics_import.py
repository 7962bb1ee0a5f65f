"""Importing a real network: bad files are rejected with file/row/column errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parklink.errors import ValidationError
from parklink.logistics.network import Network, read_links, read_nodes
from parklink.logistics.routing import route

HEADER = "link_id,from_node,to_node,mode,distance_km,time_h,cost_cny_per_t,bidirectional,approximate,source_url,confidence\n"


def test_bad_csv_rows_are_named(tmp_path: Path, chengyu_network: Network) -> None:
    f = tmp_path / "links.csv"
    f.write_text(
        HEADER
        + "x1,port.yibin,port.luzhou,boat,100,8,5,true,false,,likely\n"
        + "x2,port.yibin,port.luzhou,water,-3,8,5,true,false,,likely\n"
        + "x3,port.nowhere,port.luzhou,water,100,8,5,true,false,,likely\n"
        + "x3,port.yibin,port.luzhou,water,100,eight,5,maybe,false,,likely\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as err:
        read_links(f, nodes=chengyu_network.nodes)
    where = {(p.row, p.column) for p in err.value.problems}
    assert (2, "mode") in where
    assert (3, "distance_km") in where
    assert (4, "from_node") in where
    assert {(5, "time_h"), (5, "bidirectional"), (5, "link_id")} <= where
    assert all(p.file == "links.csv" for p in err.value.problems)
    assert "row 2" in str(err.value) and "boat" in str(err.value)


def test_missing_column_and_gbk(tmp_path: Path) -> None:
    f = tmp_path / "links.csv"
    f.write_text("link_id,from_node,to_node\nx,a,b\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        read_links(f)
    assert {p.column for p in err.value.problems} >= {"mode", "distance_km", "time_h"}
    assert all(p.row is None for p in err.value.problems)
    g = tmp_path / "nodes.csv"
    g.write_bytes(("node_id,name_zh,name_en,kind,modes,adcode,lon,lat,location_approximate,code,source_url,confidence\n"
                   "port.x,泸州港,Luzhou Port,river_port,water;road,510502,105.44,28.87,true,,,likely\n").encode("gb18030"))
    assert read_nodes(g)["name_zh"].iloc[0] == "泸州港"


def test_geojson_links_validated_and_used(tmp_path: Path, chengyu_network: Network) -> None:
    bad = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [105.0, 29.0]}, "properties": {}}]}
    f = tmp_path / "bad.geojson"
    f.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        read_links(f)
    assert err.value.problems[0].row == 1 and err.value.problems[0].column == "geometry"
    # a fast (imaginary) rail link Chengdu railport – Tuanjiecun with a drawn geometry
    props = {"link_id": "rail.test", "from_node": "rail.chengdu-railport", "to_node": "rail.chongqing-tuanjiecun",
             "mode": "rail", "distance_km": 300.0, "time_h": 3.0, "cost_cny_per_t": 1.0, "bidirectional": True,
             "approximate": False, "source_url": "test", "confidence": "synthetic"}
    coords = [[104.25, 30.88], [105.5, 30.2], [106.38, 29.6]]
    good = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords}, "properties": props}]}
    g = tmp_path / "rail.geojson"
    g.write_text(json.dumps(good), encoding="utf-8")
    links = read_links(g, nodes=chengyu_network.nodes)
    net = chengyu_network.with_links(links, replace_modes={"rail"})
    assert set(net.links.loc[net.links["mode"] == "rail", "link_id"]) == {"rail.test"}
    r = route(net, "rail.chengdu-railport", "rail.chongqing-tuanjiecun", cargo="container")
    assert r.modes == ("rail",)
    assert [list(xy) for xy in r.geometry] == coords


def test_unknown_extension(tmp_path: Path) -> None:
    f = tmp_path / "links.txt"
    f.write_text("x", encoding="utf-8")
    with pytest.raises(ValidationError, match="unsupported file type"):
        read_links(f)


def test_export_import_round_trip(tmp_path: Path, chengyu_network: Network) -> None:
    f = tmp_path / "links.csv"
    chengyu_network.to_frame().to_csv(f, index=False, encoding="utf-8-sig")
    back = read_links(f, nodes=chengyu_network.nodes)
    net = Network.from_frames(chengyu_network.nodes, back)
    a = route(chengyu_network, "cq-jiangjin-ip", "sc-deyang-etdz", cargo="container")
    b = route(net, "cq-jiangjin-ip", "sc-deyang-etdz", cargo="container")
    assert b.gc_cny_per_t == a.gc_cny_per_t or abs(b.gc_cny_per_t - a.gc_cny_per_t) < 1e-6 * a.gc_cny_per_t
