"""Is a point inside Sichuan or Chongqing? Region boundaries when known, else a lon/lat box.

With boundaries (a GeoJSON FeatureCollection of district/city/province polygons carrying an
``adcode`` property, e.g. ``parklink.datasets.chengyu.boundaries()``), the polygons of codes
starting with 51 (Sichuan) or 50 (Chongqing) go into a shapely STRtree and the points are
queried in one vectorised call with the ``dwithin`` predicate, so a point within
``tolerance_deg`` (default 0.02°, about 2 km — the boundaries are simplified) of the area
counts as inside. Without boundaries the schema's lon/lat box (97–111 °E, 26–35 °N) is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import numpy as np
import shapely

from parklink.tables import PARKS

__all__ = ["ProvinceArea", "default_area"]

_PREFIXES = ("51", "50")


@dataclass(frozen=True)
class ProvinceArea:
    """The area of the two provinces, as polygons (``geoms``) or as a lon/lat box."""

    geoms: tuple[Any, ...] = ()
    box: tuple[float, float, float, float] = (
        float(PARKS.column("lon").minimum or 97.0),
        float(PARKS.column("lat").minimum or 26.0),
        float(PARKS.column("lon").maximum or 111.0),
        float(PARKS.column("lat").maximum or 35.0),
    )
    tolerance_deg: float = 0.02

    @property
    def source(self) -> str:
        """'boundaries' or 'box': what the test uses."""
        return "boundaries" if self.geoms else "box"

    @classmethod
    def from_geojson(cls, collection: Mapping[str, Any], *, tolerance_deg: float = 0.02
                     ) -> ProvinceArea:
        """Build from a FeatureCollection whose features carry an ``adcode`` property.

        Only features whose adcode starts with 51 (四川 Sichuan) or 50 (重庆 Chongqing) are used.
        """
        geoms = []
        for feat in collection.get("features", []):
            code = str((feat.get("properties") or {}).get("adcode", ""))
            if code.removeprefix("156").startswith(_PREFIXES) and feat.get("geometry"):
                geoms.append(shapely.geometry.shape(feat["geometry"]))
        return cls(geoms=tuple(geoms), tolerance_deg=tolerance_deg)

    @cached_property
    def _tree(self) -> Any:
        return shapely.STRtree(list(self.geoms))

    def outside(self, lon: np.ndarray[Any, Any], lat: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Boolean mask: True where (lon, lat) (WGS84 degrees) lies outside the two provinces."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        if not self.geoms:
            x0, y0, x1, y1 = self.box
            return ~((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        tree = self._tree
        points = shapely.points(lon, lat)
        hits = tree.query(points, predicate="dwithin", distance=self.tolerance_deg)
        inside = np.zeros(len(lon), dtype=bool)
        inside[np.unique(hits[0])] = True
        return ~inside


@cache
def default_area() -> ProvinceArea:
    """Boundaries from the embedded dataset when available (``parklink.datasets.chengyu``),
    else the lon/lat box. Cached: the embedded dataset does not change while running."""
    try:
        import importlib

        chengyu = importlib.import_module("parklink.datasets.chengyu")
        boundaries = chengyu.boundaries
    except (ImportError, AttributeError):
        return ProvinceArea()
    try:
        collection = boundaries()
    except Exception:  # the dataset helper is not usable: fall back to the box
        return ProvinceArea()
    if isinstance(collection, Mapping):
        area = ProvinceArea.from_geojson(collection)
        if area.geoms:
            return area
    return ProvinceArea()
