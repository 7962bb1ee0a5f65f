"""Travel times between points: the injection point for the logistics network.

Until :mod:`parklink.logistics` provides network travel times, location indicators and
the designation's pairing distances use the **great-circle (geodesic) distance** on the
WGS84 ellipsoid (``pyproj.Geod.inv``) times a **detour factor of 1.3**, at an average
road-freight speed of **60 km/h**. Both numbers are stated planning assumptions, not
measured values (road distance is longer than the straight line by the detour factor);
they are parameters of :func:`geodesic_travel_time` and the figures built on them should
be read as relative, to be replaced by network times when the logistics network exists.

Any function with the signature of :data:`TravelTime` (origins × destinations in hours)
can be passed wherever ``travel_time=`` is accepted, e.g. a network skim.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import numpy.typing as npt
from pyproj import Geod

FloatArray = npt.NDArray[np.float64]

TravelTime = Callable[[FloatArray, FloatArray], FloatArray]
"""``f(origins, destinations) -> hours``: origins (n × 2) and destinations (m × 2) as
(lon, lat) WGS84 degrees; returns an (n × m) matrix of travel times in hours."""

DETOUR_FACTOR = 1.3
ROAD_SPEED_KMH = 60.0
_GEOD = Geod(ellps="WGS84")


def geodesic_km(origins: npt.ArrayLike, destinations: npt.ArrayLike) -> FloatArray:
    """Geodesic distance in km between every origin and destination ((lon, lat) degrees)."""
    a = np.atleast_2d(np.asarray(origins, dtype=np.float64))
    b = np.atleast_2d(np.asarray(destinations, dtype=np.float64))
    n, m = a.shape[0], b.shape[0]
    if n == 0 or m == 0:
        return np.zeros((n, m))
    lon1 = np.repeat(a[:, 0], m)
    lat1 = np.repeat(a[:, 1], m)
    lon2 = np.tile(b[:, 0], n)
    lat2 = np.tile(b[:, 1], n)
    _f, _b, dist = _GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist, dtype=np.float64).reshape(n, m) / 1000.0


def geodesic_travel_time(
    origins: npt.ArrayLike,
    destinations: npt.ArrayLike,
    *,
    detour: float = DETOUR_FACTOR,
    speed_kmh: float = ROAD_SPEED_KMH,
) -> FloatArray:
    """Travel time in hours: geodesic km × ``detour`` / ``speed_kmh`` (see module doc)."""
    return geodesic_km(origins, destinations) * detour / speed_kmh


def make_travel_time(*, detour: float = DETOUR_FACTOR, speed_kmh: float = ROAD_SPEED_KMH) -> TravelTime:
    """A :data:`TravelTime` with a chosen detour factor and speed."""
    return partial(geodesic_travel_time, detour=detour, speed_kmh=speed_kmh)


def nearest_time(origins: npt.ArrayLike, destinations: npt.ArrayLike, travel_time: TravelTime | None = None) -> FloatArray:
    """Time (hours) from each origin to its nearest destination; ``inf`` if there is none."""
    a = np.atleast_2d(np.asarray(origins, dtype=np.float64))
    b = np.asarray(destinations, dtype=np.float64).reshape(-1, 2)
    if b.shape[0] == 0:
        return np.full(a.shape[0], np.inf)
    tt = (travel_time or geodesic_travel_time)(a, b)
    return np.asarray(tt.min(axis=1), dtype=np.float64)


def haversine_km(a: FloatArray, b: FloatArray) -> FloatArray:
    """Spherical great-circle km between every row of ``a`` and of ``b`` ((lon, lat) degrees;
    mean radius 6371.0088 km). Within 0.6 % of the geodesic; used for pre-filters."""
    lon1, lat1 = np.radians(a[:, 0])[:, None], np.radians(a[:, 1])[:, None]
    lon2, lat2 = np.radians(b[:, 0])[None, :], np.radians(b[:, 1])[None, :]
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return np.asarray(2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))), dtype=np.float64)


def geodesic_travel_time_within(
    origins: npt.ArrayLike,
    destinations: npt.ArrayLike,
    max_hours: float,
    *,
    detour: float = DETOUR_FACTOR,
    speed_kmh: float = ROAD_SPEED_KMH,
) -> FloatArray:
    """Like :func:`geodesic_travel_time`, but ``inf`` beyond ``max_hours``.

    A spherical pre-filter (which differs from the ellipsoidal geodesic by < 0.6 %) skips
    the geodesic computation for pairs clearly out of reach.
    """
    a = np.atleast_2d(np.asarray(origins, dtype=np.float64))
    b = np.atleast_2d(np.asarray(destinations, dtype=np.float64))
    out = np.full((a.shape[0], b.shape[0]), np.inf)
    if out.size == 0:
        return out
    reach_km = max_hours * speed_kmh / detour
    ii, jj = np.nonzero(haversine_km(a, b) <= reach_km * 1.01)
    if len(ii):
        _f, _b, dist = _GEOD.inv(a[ii, 0], a[ii, 1], b[jj, 0], b[jj, 1])
        hours = np.asarray(dist, dtype=np.float64) / 1000.0 * detour / speed_kmh
        out[ii, jj] = np.where(hours <= max_hours, hours, np.inf)
    return out
