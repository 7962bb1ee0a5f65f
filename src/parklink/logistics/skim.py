"""Network travel times between arbitrary points: the adapter the evaluation plugs in.

``network_travel_time(network)`` returns a function with the signature of
:data:`parklink.evaluate.location.TravelTime` — ``f(origins n×2, destinations m×2) -> hours
n×m`` with (lon, lat) in WGS84 degrees. Each point is attached to its nearest network node
(a k-d tree on locally scaled coordinates); the access leg to that node is the great-circle
distance times the road detour factor at the connector speed of the parameter table, and
the node-to-node part is the least travel time on the multimodal network
(:func:`parklink.logistics.routing.travel_times`, scipy.sparse.csgraph underneath).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from parklink.logistics.network import Network
from parklink.logistics.params import REFERENCE_CARGO
from parklink.logistics.routing import travel_times

FloatArray = npt.NDArray[np.float64]
_EARTH_KM = 6371.0088


def _haversine_km(a: FloatArray, b: FloatArray) -> FloatArray:
    lon1, lat1, lon2, lat2 = map(np.radians, (a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return np.asarray(2 * _EARTH_KM * np.arcsin(np.sqrt(h)), dtype=np.float64)


def network_travel_time(
    network: Network, *, cargo: str = REFERENCE_CARGO
) -> Callable[[FloatArray, FloatArray], FloatArray]:
    """A point-to-point travel-time function (hours) over ``network`` for ``cargo``."""
    nodes = network.nodes
    xy = nodes[["lon", "lat"]].to_numpy(dtype=np.float64)
    scale = np.cos(np.radians(float(np.mean(xy[:, 1])))) if len(xy) else 1.0
    tree = cKDTree(np.column_stack([xy[:, 0] * scale, xy[:, 1]]))
    ids = nodes["node_id"].astype(str).to_numpy()
    detour = float(network.params.detour.get("road", 1.3))
    speed = float(network.params.connector_speed_kmh)

    all_ids = [str(x) for x in ids]
    rows: dict[int, FloatArray] = {}  # origin node position -> least time (h) to every node

    def attach(points: FloatArray) -> tuple[npt.NDArray[np.int64], FloatArray]:
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        _, idx = tree.query(np.column_stack([pts[:, 0] * scale, pts[:, 1]]))
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        access_h = _haversine_km(pts, xy[idx]) * detour / speed
        return idx, access_h

    def node_times(origins: npt.NDArray[np.int64], destinations: npt.NDArray[np.int64]) -> FloatArray:
        # one shortest-path tree per origin node, kept for the next call (an evaluation asks
        # for the same origins many times); the value of a pair does not depend on which
        # other nodes are asked for
        missing = [int(i) for i in origins if int(i) not in rows]
        if missing:
            od = travel_times(network, [all_ids[i] for i in missing], all_ids, cargo=cargo).values
            for k, i in enumerate(missing):
                rows[i] = np.asarray(od[k], dtype=np.float64)
        if len(origins) == 0:
            return np.zeros((0, len(destinations)))
        return np.vstack([rows[int(i)][destinations] for i in origins])

    def travel_time(origins: FloatArray, destinations: FloatArray) -> FloatArray:
        o_pts = np.asarray(origins, dtype=np.float64).reshape(-1, 2)
        d_pts = np.asarray(destinations, dtype=np.float64).reshape(-1, 2)
        o_idx, o_access = attach(o_pts)
        d_idx, d_access = attach(d_pts)
        uo, o_inv = np.unique(o_idx, return_inverse=True)
        ud, d_inv = np.unique(d_idx, return_inverse=True)
        od = node_times(uo, ud)
        out = od[np.ix_(o_inv, d_inv)] + o_access[:, None] + d_access[None, :]
        # two points attached to the same node: the direct drive can be shorter
        same_node = o_idx[:, None] == d_idx[None, :]
        if same_node.any():
            oi, di = np.nonzero(same_node)
            direct = _haversine_km(o_pts[oi], d_pts[di]) * detour / speed
            out[oi, di] = np.minimum(out[oi, di], direct)
        return np.asarray(out, dtype=np.float64)

    return travel_time
