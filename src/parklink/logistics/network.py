"""The multimodal freight network: nodes, links by mode, and the approximate default builder.

A :class:`Network` is two tables shaped like :data:`parklink.tables.TRANSPORT_NODES` and
:data:`parklink.tables.TRANSPORT_LINKS` (plus an optional ``geometry`` column of
``[(lon, lat), ...]`` for links imported from GeoJSON) and the :class:`Parameters` in force.

:func:`build_network` approximates the Sichuan–Chongqing network from the embedded
dataset when no real network is imported (every approximate link says so in
``approximate`` and ``confidence``):

* **road** — between district seats whose polygons share a boundary segment (a
  Delaunay triangulation of the seats when no polygons are given); parks and hubs are
  connected to their host seat (or the nearest one). Distance = great-circle × detour.
* **rail** — the main lines in :data:`RAIL_LINES` as seat-to-seat links (stops snapped
  to the nearest district seat); rail ports join the line at the nearest stop.
* **water** — ports on the Yangtze ordered along :data:`YANGTZE`, directed links with
  downstream / upstream barge speeds; tributary ports join the nearest main-river port.
* **air** — the international airports (CTU, TFU, CKG) pairwise, regional airports to
  each of them.
* **transfer** — generated at compile time at every node serving two or more modes
  (see :mod:`parklink.logistics.graph`); an explicit ``transfer`` link overrides it.

Users replace the approximation with a real network through :func:`read_links` /
:func:`read_nodes` (CSV or GeoJSON, validated row by row) and :meth:`Network.from_frames`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from parklink.errors import ValidationError
from parklink.logistics.expressways import expressway_links
from parklink.logistics.layers import (
    RAIL_FACT_URL,
    RAIL_LINES,
    YANGTZE,
    RailStop,
    air_links,
    densify_with_local_roads,
    link_rows,
    nearest,
    neighbour_pairs,
    node_row,
    water_explain,
    water_links,
)
from parklink.logistics.netcore import (
    LINK_COLUMNS,
    NODE_COLUMNS,
    Network,
    _is_missing,
    haversine_km,
    iter_rows,
    split_modes,
    to_km_plane,
    validate_frame,
)
from parklink.logistics.netio import read_links, read_nodes
from parklink.logistics.params import DEFAULT_PARAMETERS, LINK_MODES, Parameters

FACTS = "/work/shared/reference/programme-facts.md"


def build_network(
    *,
    regions: pd.DataFrame,
    parks: pd.DataFrame | None = None,
    transport_nodes: pd.DataFrame | None = None,
    boundaries: Mapping[str, Any] | None = None,
    params: Parameters = DEFAULT_PARAMETERS,
    rail_lines: Mapping[str, tuple[str, str, bool, tuple[RailStop, ...]]] = RAIL_LINES,
    as_of: int | None = None,
    expressways: pd.DataFrame | None = None,
) -> Network:
    """Build the approximate multimodal network from dataset frames (see the module docstring).

    A pure function of its arguments. ``regions`` per ``parklink.tables.REGIONS`` (district
    rows with seat points are used); ``parks`` per ``PARKS``; ``transport_nodes`` per
    ``TRANSPORT_NODES``; ``boundaries`` a GeoJSON FeatureCollection with property ``adcode``;
    ``as_of`` a year: only expressway links open by then (``None``: today's network);
    ``expressways`` an expressway link table (default: the shipped ``expressways.csv``; an
    empty frame leaves the layer out). Ordinary-road distances are great-circle km × the
    calibrated detour factor, times = km / speed; costs = km × container tariff. Expressway
    speeds follow ``params.vehicle`` (see :mod:`parklink.logistics.expressways`).
    """
    params.check()
    p = params
    seats = regions[(regions["level"] == "district") & regions["seat_lon"].notna() & regions["seat_lat"].notna()].copy()
    if seats.empty:
        raise ValidationError.single("regions", "no district with a seat point: cannot build the network")
    seats["adcode"] = seats["adcode"].astype(str)
    node_rows = [
        node_row(f"seat.{r.adcode}", str(r.name_zh), str(r.name_en), "seat", "road", r.adcode,
                  float(r.seat_lon), float(r.seat_lat), bool(r.seat_approximate),
                  None, getattr(r, "source_url", None), str(r.confidence))
        for r in iter_rows(seats)
    ]
    seat_xy = seats[["seat_lon", "seat_lat"]].to_numpy(float)
    seat_ids = [f"seat.{a}" for a in seats["adcode"]]
    seat_of_code = dict(zip(seats["adcode"], seat_ids, strict=True))
    links: list[pd.DataFrame] = []
    explain: dict[str, pd.DataFrame] = {}

    # road between neighbouring seats
    pairs, method = neighbour_pairs(seats, boundaries)
    pos = {a: i for i, a in enumerate(seats["adcode"])}
    ia = np.array([pos[a] for a, _ in pairs], dtype=np.int64)
    ib = np.array([pos[b] for _, b in pairs], dtype=np.int64)
    if len(pairs):
        km = haversine_km(seat_xy[ia, 0], seat_xy[ia, 1], seat_xy[ib, 0], seat_xy[ib, 1]) * p.detour["road"]
        links.append(link_rows("road", [seat_ids[i] for i in ia], [seat_ids[i] for i in ib], km,
                                p.speed_kmh["road"], "road", p, bidirectional=True, approximate=True,
                                confidence="synthetic", source=None))
    explain["road_neighbours"] = pd.DataFrame({"adcode_a": [a for a, _ in pairs], "adcode_b": [b for _, b in pairs], "method": method})

    # attach parks and hubs to their seat
    attach: list[dict[str, object]] = []
    if parks is not None and len(parks):
        for r in iter_rows(parks):
            row = node_row(f"park.{r.park_id}", str(r.name_zh), str(r.name_en), "park", "road",
                            str(r.adcode), float(r.lon), float(r.lat), bool(r.location_approximate),
                            None, getattr(r, "source_url", None), str(r.confidence))
            row["park_kind"] = str(getattr(r, "kind", "other"))
            node_rows.append(row)
            attach.append({"node_id": f"park.{r.park_id}", "adcode": str(r.adcode), "lon": float(r.lon), "lat": float(r.lat)})
    hubs = transport_nodes if transport_nodes is not None else pd.DataFrame(columns=list(NODE_COLUMNS))
    hub_rows: list[dict[str, object]] = []
    for r in iter_rows(hubs):
        modes = split_modes(r.modes)
        modes = ("road", *[m for m in modes if m != "road"])
        row = node_row(str(r.node_id), str(r.name_zh), str(r.name_en), str(r.kind), ";".join(modes),
                        None if _is_missing(r.adcode) else str(r.adcode), float(r.lon), float(r.lat),
                        bool(r.location_approximate), None if _is_missing(r.code) else str(r.code),
                        getattr(r, "source_url", None), str(r.confidence))
        node_rows.append(row)
        hub_rows.append(row)
        attach.append({"node_id": str(r.node_id), "adcode": row["adcode"], "lon": float(r.lon), "lat": float(r.lat)})
    if attach:
        at = pd.DataFrame(attach)
        near_i, _ = nearest(at[["lon", "lat"]].to_numpy(float), seat_xy)
        target = [seat_of_code.get(str(c), seat_ids[n]) for c, n in zip(at["adcode"], near_i, strict=True)]
        tpos = np.array([seat_ids.index(t) for t in target], dtype=np.int64)
        km = haversine_km(at["lon"], at["lat"], seat_xy[tpos, 0], seat_xy[tpos, 1]) * p.detour["road"]
        km = np.maximum(km, p.min_connector_km)
        links.append(link_rows("road", at["node_id"].tolist(), target, km, p.connector_speed_kmh, "road", p,
                                bidirectional=True, approximate=True, confidence="synthetic", source=None))
        # local connectors: parks/hubs to each other and to any seat within local_radius_km
        ids_all = at["node_id"].tolist() + seat_ids
        xy_all = np.vstack([at[["lon", "lat"]].to_numpy(float), seat_xy])
        tree = cKDTree(to_km_plane(xy_all[:, 0], xy_all[:, 1]))
        near = tree.query_pairs(p.local_radius_km, output_type="ndarray")
        na = len(at)
        near = near[(near[:, 0] < na) & ~((near[:, 1] >= na) & (np.asarray(tpos)[np.minimum(near[:, 0], na - 1)] == near[:, 1] - na))]
        if len(near):
            a_ids = [ids_all[i] for i in near[:, 0]]
            b_ids = [ids_all[j] for j in near[:, 1]]
            km = haversine_km(xy_all[near[:, 0], 0], xy_all[near[:, 0], 1], xy_all[near[:, 1], 0], xy_all[near[:, 1], 1])
            km = np.maximum(km * p.detour["road"], p.min_connector_km)
            local = link_rows("road.local", a_ids, b_ids, km, p.connector_speed_kmh, "road", p,
                               bidirectional=True, approximate=True, confidence="synthetic", source=None)
            links.append(local)

    hub_frame = pd.DataFrame(hub_rows, columns=list(NODE_COLUMNS))

    # expressways between seats (and sourced hub points) along the stated alignments
    if expressways is None or len(expressways):
        coords = pd.DataFrame({"lon": seat_xy[:, 0], "lat": seat_xy[:, 1]}, index=pd.Index(seat_ids))
        if len(hub_frame):
            coords = pd.concat([coords, hub_frame.set_index("node_id")[["lon", "lat"]].astype(float)])
        fast, fast_explain = expressway_links(coords, p, as_of=as_of, frame=expressways)
        links.append(fast)
        explain["expressways"] = fast_explain
    hub_modes = hub_frame["modes"].map(split_modes) if len(hub_frame) else pd.Series(dtype=object)

    # rail lines
    rail_used: list[dict[str, object]] = []
    rail_stop_ids: set[str] = set()
    for key, (zh, en, named, stops) in rail_lines.items():
        pts = np.array([[s[2], s[3]] for s in stops], float)
        near_i, dist = nearest(pts, seat_xy)
        seq = [seat_ids[i] for i, d in zip(near_i, dist, strict=True) if d <= 25.0]
        seq = [s for k, s in enumerate(seq) if k == 0 or s != seq[k - 1]]
        if len(seq) < 2:
            continue
        rail_stop_ids.update(seq)
        sidx = np.array([seat_ids.index(s) for s in seq])
        km = haversine_km(seat_xy[sidx[:-1], 0], seat_xy[sidx[:-1], 1], seat_xy[sidx[1:], 0], seat_xy[sidx[1:], 1]) * p.detour["rail"]
        links.append(link_rows(f"rail.{key}", seq[:-1], seq[1:], km, p.speed_kmh["rail"], "rail", p,
                                bidirectional=True, approximate=True, confidence="unconfirmed",
                                source=RAIL_FACT_URL if named else None))
        rail_used.append({"line": key, "name_zh": zh, "name_en": en, "named_in_facts": named, "stops": ";".join(seq)})
    explain["rail_lines"] = pd.DataFrame(rail_used)
    if len(hub_frame) and rail_stop_ids:
        rail_hubs = hub_frame[hub_modes.map(lambda m: "rail" in m).to_numpy(bool)]
        if len(rail_hubs):
            stop_list = sorted(rail_stop_ids)
            sxy = seat_xy[[seat_ids.index(s) for s in stop_list]]
            ni, _ = nearest(rail_hubs[["lon", "lat"]].to_numpy(float), sxy)
            km = haversine_km(rail_hubs["lon"], rail_hubs["lat"], sxy[ni, 0], sxy[ni, 1]) * p.detour["rail"]
            links.append(link_rows("rail.spur", rail_hubs["node_id"].tolist(), [stop_list[i] for i in ni],
                                    np.maximum(km, p.min_connector_km), p.speed_kmh["rail"], "rail", p,
                                    bidirectional=True, approximate=True, confidence="unconfirmed", source=None))

    # inland waterway
    if len(hub_frame):
        ports = hub_frame[hub_modes.map(lambda m: "water" in m).to_numpy(bool)]
        if len(ports) >= 2:
            links.append(water_links(ports, p))
            explain["waterway"] = water_explain(ports)
        airports = hub_frame[hub_modes.map(lambda m: "air" in m).to_numpy(bool)]
        if len(airports) >= 2:
            links.append(air_links(airports, p))

    node_frame = pd.DataFrame(node_rows, columns=[*NODE_COLUMNS, "park_kind"])
    link_frame = pd.concat(links, ignore_index=True) if links else pd.DataFrame(columns=list(LINK_COLUMNS))
    link_frame = link_frame.drop_duplicates("link_id").reset_index(drop=True)
    net = Network.from_frames(node_frame, link_frame, params=p)
    return Network(net.nodes, net.links, p, explain)


__all__ = [
    "FACTS",
    "LINK_MODES",
    "RAIL_LINES",
    "YANGTZE",
    "Network",
    "build_network",
    "densify_with_local_roads",
    "haversine_km",
    "iter_rows",
    "neighbour_pairs",
    "read_links",
    "read_nodes",
    "split_modes",
    "to_km_plane",
    "validate_frame",
]
