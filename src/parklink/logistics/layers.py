"""Layers of the approximate network: rail lines, the Yangtze, air links, local roads.

Helpers shared by the builders (:func:`node_row`, :func:`link_rows`, :func:`neighbour_pairs`)
and the synthetic densifier used by benchmarks and tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.spatial import Delaunay, cKDTree

from parklink.logistics.netcore import NODE_COLUMNS, Network, haversine_km, to_km_plane
from parklink.logistics.params import Parameters

FloatArray = npt.NDArray[np.float64]

RAIL_FACT_URL = "http://www.njwyda.net/njxw/15742.html"
INTERNATIONAL_AIRPORTS = ("CTU", "TFU", "CKG")

RailStop = tuple[str, str, float, float]
RAIL_LINES: dict[str, tuple[str, str, bool, tuple[RailStop, ...]]] = {
    # key: (name_zh, name_en, named_in_facts, stops as (zh, en, lon, lat) city seats of facts §7)
    "baocheng": ("宝成铁路", "Baoji–Chengdu railway", True, (
        ("成都", "Chengdu", 104.065735, 30.659462),
        ("德阳", "Deyang", 104.398651, 31.127991),
        ("绵阳", "Mianyang", 104.741722, 31.464020),
        ("广元", "Guangyuan", 105.829757, 32.433668),
    )),
    "chengyu": ("成渝铁路", "Chengdu–Chongqing railway", True, (
        ("成都", "Chengdu", 104.065735, 30.659462),
        ("资阳", "Ziyang", 104.641917, 30.122211),
        ("内江", "Neijiang", 105.066138, 29.587080),
        ("荣昌", "Rongchang", 105.594061, 29.403627),
        ("永川", "Yongchuan", 105.894714, 29.348748),
        ("江津", "Jiangjin", 106.253156, 29.283387),
        ("沙坪坝", "Shapingba", 106.4542, 29.541224),
    )),
    "chengkun": ("成昆铁路", "Chengdu–Kunming railway", True, (
        ("成都", "Chengdu", 104.065735, 30.659462),
        ("眉山", "Meishan", 103.831788, 30.048318),
        ("乐山", "Leshan", 103.761263, 29.582024),
    )),
    "dacheng": ("达成铁路", "Dazhou–Chengdu railway", True, (
        ("成都", "Chengdu", 104.065735, 30.659462),
        ("遂宁", "Suining", 105.571331, 30.513311),
        ("南充", "Nanchong", 106.082974, 30.795281),
        ("达州", "Dazhou", 107.502262, 31.209484),
    )),
    "suiyu": ("遂渝铁路", "Suining–Chongqing railway", False, (
        ("遂宁", "Suining", 105.571331, 30.513311),
        ("潼南", "Tongnan", 105.841818, 30.189554),
        ("合川", "Hechuan", 106.265554, 29.990993),
        ("沙坪坝", "Shapingba", 106.4542, 29.541224),
    )),
    "xiangyu": ("襄渝铁路", "Xiangyang–Chongqing railway", False, (
        ("沙坪坝", "Shapingba", 106.4542, 29.541224),
        ("合川", "Hechuan", 106.265554, 29.990993),
        ("广安", "Guang'an", 106.633369, 30.456398),
        ("达州", "Dazhou", 107.502262, 31.209484),
    )),
    "neikun": ("内昆铁路", "Neijiang–Kunming railway", False, (
        ("内江", "Neijiang", 105.066138, 29.587080),
        ("自贡", "Zigong", 104.773447, 29.352765),
        ("宜宾", "Yibin", 104.630825, 28.760189),
    )),
    "longhuang": ("隆黄铁路", "Longchang–Huangtong railway (Luzhou branch)", False, (
        ("内江", "Neijiang", 105.066138, 29.587080),
        ("泸州", "Luzhou", 105.443348, 28.889138),
    )),
    "chuanqian": ("川黔铁路", "Sichuan–Guizhou railway", False, (
        ("江津", "Jiangjin", 106.253156, 29.283387),
        ("綦江", "Qijiang", 106.651417, 29.028091),
    )),
    "yuhuai": ("渝怀铁路", "Chongqing–Huaihua railway", False, (
        ("沙坪坝", "Shapingba", 106.4542, 29.541224),
        ("长寿", "Changshou", 107.074854, 29.833671),
        ("涪陵", "Fuling", 107.394905, 29.703652),
        ("武隆", "Wulong", 107.75655, 29.32376),
        ("黔江", "Qianjiang", 108.782577, 29.527548),
    )),
    "dawan": ("达万铁路", "Dazhou–Wanzhou railway", False, (
        ("达州", "Dazhou", 107.502262, 31.209484),
        ("梁平", "Liangping", 107.800034, 30.672168),
        ("万州", "Wanzhou", 108.380246, 30.807807),
    )),
}
"""Main rail lines as sequences of city seats (coordinates: programme facts §7).

The four lines named in the facts (Baocheng, Chengyu, Chengkun, Dacheng: they meet at the
Chengdu railway port) and seven more from general knowledge. The stop sequences are
approximations from general knowledge (**unconfirmed**): every rail link is flagged
``approximate`` with confidence ``unconfirmed``.
"""

YANGTZE: tuple[tuple[float, float], ...] = (
    (104.630825, 28.760189),  # Yibin (confluence of the Min and Jinsha rivers)
    (105.443348, 28.889138),  # Luzhou
    (106.253156, 29.283387),  # Jiangjin
    (106.56288, 29.556742),  # Chongqing Yuzhong (Jialing confluence)
    (107.074854, 29.833671),  # Changshou
    (107.394905, 29.703652),  # Fuling
    (108.380246, 30.807807),  # Wanzhou
)
"""The Yangtze main stem as a polyline through riverside seats (facts §7), upstream first."""
MAINSTEM_TOLERANCE_KM = 25.0


def node_row(
    node_id: str, zh: str, en: str, kind: str, modes: str, adcode: str | None,
    lon: float, lat: float, approx: bool, code: str | None, url: str | None, conf: str,
) -> dict[str, object]:
    return {
        "node_id": node_id, "name_zh": zh, "name_en": en, "kind": kind, "modes": modes,
        "adcode": adcode, "lon": float(lon), "lat": float(lat), "location_approximate": bool(approx),
        "code": code, "source_url": url, "confidence": conf,
    }


def link_rows(
    prefix: str,
    a: Sequence[str],
    b: Sequence[str],
    km: FloatArray,
    speed: float | FloatArray,
    mode: str,
    params: Parameters,
    *,
    bidirectional: bool,
    approximate: bool,
    confidence: str,
    source: str | None,
) -> pd.DataFrame:
    km = np.maximum(np.asarray(km, float), 0.01)
    rate = params.rate.get(mode, {})
    ref = rate.get("container", max(rate.values(), default=0.0))
    return pd.DataFrame({
        "link_id": [f"{prefix}.{x}.{y}" for x, y in zip(a, b, strict=True)],
        "from_node": list(a), "to_node": list(b), "mode": mode,
        "distance_km": km, "time_h": km / speed, "cost_cny_per_t": km * ref,
        "bidirectional": bidirectional, "approximate": approximate,
        "source_url": source, "confidence": confidence,
    })


def neighbour_pairs(
    seats: pd.DataFrame, boundaries: Mapping[str, Any] | None
) -> tuple[list[tuple[str, str]], str]:
    """Pairs of adcodes whose district polygons share a boundary segment (length > 0).

    Uses a shapely STRtree over the polygons; falls back to a Delaunay triangulation of
    the seat points when no polygons are given. Returns (pairs, method).
    """
    codes = seats["adcode"].astype(str).tolist()
    wanted = set(codes)
    if boundaries is not None:
        geoms: dict[str, Any] = {}
        for feat in boundaries.get("features", []):
            code = str((feat.get("properties") or {}).get("adcode"))
            if code in wanted and feat.get("geometry"):
                geoms[code] = shapely.geometry.shape(feat["geometry"])
        if len(geoms) >= 2:
            keys = list(geoms)
            polys = [geoms[k] for k in keys]
            tree = shapely.STRtree(polys)
            left, right = tree.query(polys, predicate="intersects")
            mask = left < right
            left, right = left[mask], right[mask]
            a = shapely.boundary(np.asarray(polys, dtype=object)[left])
            b = shapely.boundary(np.asarray(polys, dtype=object)[right])
            shared = shapely.length(shapely.intersection(a, b))
            pairs = [(keys[i], keys[j]) for i, j, s in zip(left, right, shared, strict=True) if s > 1e-6]
            return pairs, "shared boundary (shapely STRtree)"
    pts = seats[["seat_lon", "seat_lat"]].to_numpy(float)
    if len(pts) < 3:
        return ([(codes[0], codes[1])] if len(pts) == 2 else []), "all pairs"
    tri = Delaunay(to_km_plane(pts[:, 0], pts[:, 1]))
    edges: set[tuple[int, int]] = set()
    for s in tri.simplices:
        for i in range(3):
            u, v = int(s[i]), int(s[(i + 1) % 3])
            edges.add((min(u, v), max(u, v)))
    return [(codes[u], codes[v]) for u, v in sorted(edges)], "Delaunay triangulation of seats"


def nearest(points: FloatArray, targets: FloatArray) -> tuple[npt.NDArray[np.int64], FloatArray]:
    tree = cKDTree(to_km_plane(targets[:, 0], targets[:, 1]))
    d, i = tree.query(to_km_plane(points[:, 0], points[:, 1]))
    return np.asarray(i, np.int64), np.asarray(d, float)


def river_positions(ports: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
    """(along-river km from Yibin, off-river km) of each port against :data:`YANGTZE`."""
    line_xy = to_km_plane([c[0] for c in YANGTZE], [c[1] for c in YANGTZE])
    line = shapely.LineString(line_xy)
    pxy = to_km_plane(ports["lon"], ports["lat"])
    pts = shapely.points(pxy)
    along = shapely.line_locate_point(line, pts)
    off = shapely.distance(line, pts)
    return np.asarray(along, float), np.asarray(off, float)


def water_explain(ports: pd.DataFrame) -> pd.DataFrame:
    along, off = river_positions(ports)
    return pd.DataFrame({"node_id": ports["node_id"].to_numpy(), "name_zh": ports["name_zh"].to_numpy(),
                         "river_km_from_yibin": along.round(1), "off_mainstem_km": off.round(1),
                         "mainstem": off <= MAINSTEM_TOLERANCE_KM})


def water_links(ports: pd.DataFrame, p: Parameters) -> pd.DataFrame:
    """Directed barge links: consecutive main-stem ports, tributary ports to the nearest main-stem port."""
    along, off = river_positions(ports)
    ids = ports["node_id"].astype(str).to_numpy()
    main = np.flatnonzero(off <= MAINSTEM_TOLERANCE_KM)
    order = main[np.argsort(along[main], kind="stable")]
    up: list[str] = []
    down: list[str] = []
    km_list: list[float] = []
    for a, b in itertools.pairwise(order.tolist()):
        up.append(ids[a])
        down.append(ids[b])
        km_list.append(max(along[b] - along[a], 1.0) * p.detour["water"])
    trib = np.flatnonzero(off > MAINSTEM_TOLERANCE_KM)
    if len(main):
        lon, lat = ports["lon"].to_numpy(float), ports["lat"].to_numpy(float)
        for t in trib:
            d = haversine_km(lon[t], lat[t], lon[main], lat[main])
            m = main[int(np.argmin(d))]
            up.append(ids[t])
            down.append(ids[m])
            km_list.append(float(d.min()) * p.detour["water"])
    km = np.asarray(km_list, float)
    downstream = link_rows("water.down", up, down, km, p.water_speed_down_kmh, "water", p,
                            bidirectional=False, approximate=True, confidence="synthetic", source=None)
    upstream = link_rows("water.up", down, up, km, p.water_speed_up_kmh, "water", p,
                          bidirectional=False, approximate=True, confidence="synthetic", source=None)
    return pd.concat([downstream, upstream], ignore_index=True)


def air_links(airports: pd.DataFrame, p: Parameters) -> pd.DataFrame:
    """Air links: international hubs pairwise, every other airport to each hub (all if no hub)."""
    ids = airports["node_id"].astype(str).tolist()
    codes = airports["code"].fillna("").astype(str).str.upper().str[:3].tolist()
    hubs = [i for i, c in enumerate(codes) if c in INTERNATIONAL_AIRPORTS] or list(range(len(ids)))
    pairs = {(min(i, j), max(i, j)) for i in hubs for j in range(len(ids)) if i != j}
    a = np.array([i for i, _ in sorted(pairs)])
    b = np.array([j for _, j in sorted(pairs)])
    lon, lat = airports["lon"].to_numpy(float), airports["lat"].to_numpy(float)
    km = haversine_km(lon[a], lat[a], lon[b], lat[b]) * p.detour["air"]
    return link_rows("air", [ids[i] for i in a], [ids[j] for j in b], km, p.speed_kmh["air"], "air", p,
                      bidirectional=True, approximate=True, confidence="synthetic", source=None)


def densify_with_local_roads(
    network: Network,
    *,
    junctions_per_seat: int = 22,
    neighbours: int = 3,
    mean_shape_points: float = 5.0,
    radius_km: float = 15.0,
    seed: int = 0,
) -> Network:
    """Add synthetic local roads (seeded) around every seat: for benchmarks and tests.

    Each seat gets ``junctions_per_seat`` junction nodes scattered within ``radius_km``;
    junctions are linked to their ``neighbours`` nearest junctions (and the nearest one to
    the seat) by local roads, each drawn as a polyline through Poisson(``mean_shape_points``)
    interstitial shape points, as in OpenStreetMap where most nodes lie inside a street.
    All added rows are ``confidence = synthetic``.
    """
    rng = np.random.default_rng(seed)
    p = network.params
    seats = network.nodes[network.nodes["kind"] == "seat"]
    nj = len(seats) * junctions_per_seat
    owner = np.repeat(np.arange(len(seats)), junctions_per_seat)
    ang = rng.uniform(0, 2 * np.pi, nj)
    rad = radius_km * np.sqrt(rng.uniform(0, 1, nj))
    slon = seats["lon"].to_numpy(float)[owner]
    slat = seats["lat"].to_numpy(float)[owner]
    jlat = slat + rad * np.sin(ang) / 110.57
    jlon = slon + rad * np.cos(ang) / (111.32 * np.cos(np.radians(slat)))
    jid = np.array([f"junction.{i}" for i in range(nj)])
    tree = cKDTree(to_km_plane(jlon, jlat))
    _, nb = tree.query(to_km_plane(jlon, jlat), k=neighbours + 1)
    a = np.repeat(np.arange(nj), neighbours)
    b = nb[:, 1:].ravel()
    key = np.unique(np.sort(np.column_stack([a, b]), axis=1), axis=0)
    ends_a = list(jid[key[:, 0]])
    ends_b = list(jid[key[:, 1]])
    lon_a, lat_a = list(jlon[key[:, 0]]), list(jlat[key[:, 0]])
    lon_b, lat_b = list(jlon[key[:, 1]]), list(jlat[key[:, 1]])
    # connect the first junction of each seat to the seat itself
    first = np.arange(0, nj, junctions_per_seat)
    ends_a += list(jid[first])
    ends_b += seats["node_id"].astype(str).tolist()
    lon_a += list(jlon[first])
    lat_a += list(jlat[first])
    lon_b += list(seats["lon"].to_numpy(float))
    lat_b += list(seats["lat"].to_numpy(float))
    new_nodes = [
        node_row(str(jid[i]), f"合成路口{i}", f"synthetic junction {i}", "junction", "road", None,
                  float(jlon[i]), float(jlat[i]), True, None, None, "synthetic")
        for i in range(nj)
    ]
    la, lb, lx, ly = np.array(ends_a), np.array(ends_b), np.array(lon_a), np.array(lat_a)
    bx, by = np.array(lon_b), np.array(lat_b)
    k = rng.poisson(mean_shape_points, len(la))
    seg_from: list[str] = []
    seg_to: list[str] = []
    seg_km: list[float] = []
    shape_id = 0
    for i in range(len(la)):
        n = int(k[i])
        ts = np.linspace(0, 1, n + 2)
        xs = lx[i] + (bx[i] - lx[i]) * ts
        ys = ly[i] + (by[i] - ly[i]) * ts
        if n:
            xs[1:-1] += rng.normal(0, 0.002, n)
            ys[1:-1] += rng.normal(0, 0.002, n)
        names = [str(la[i])]
        for j in range(n):
            sid = f"shape.{shape_id}"
            shape_id += 1
            names.append(sid)
            new_nodes.append(node_row(sid, f"合成形点{sid}", f"synthetic shape point {sid}", "junction", "road",
                                       None, float(xs[j + 1]), float(ys[j + 1]), True, None, None, "synthetic"))
        names.append(str(lb[i]))
        d = haversine_km(xs[:-1], ys[:-1], xs[1:], ys[1:])
        seg_from += names[:-1]
        seg_to += names[1:]
        seg_km += list(np.maximum(d, 0.01))
    km = np.asarray(seg_km) * 1.1
    local = link_rows("local", seg_from, seg_to, km, p.connector_speed_kmh, "road", p,
                       bidirectional=True, approximate=True, confidence="synthetic", source=None)
    local["link_id"] = [f"local.{i}" for i in range(len(local))]
    nodes = pd.concat([network.nodes, pd.DataFrame(new_nodes, columns=list(NODE_COLUMNS))], ignore_index=True)
    links = pd.concat([network.links, local], ignore_index=True)
    return Network(nodes, links, p, dict(network.explain))
