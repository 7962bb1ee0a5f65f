"""Fixtures of the logistics tests: small hand-made networks and the embedded-dataset network."""

from __future__ import annotations

import os
from collections.abc import Iterator
from types import SimpleNamespace

import pandas as pd
import pytest

from parklink.logistics.network import Network, build_network
from parklink.settings import get_settings


def node(node_id: str, lon: float, lat: float, *, kind: str = "seat", modes: str = "road") -> dict[str, object]:
    """One node row in TRANSPORT_NODES columns."""
    return {"node_id": node_id, "name_zh": f"节点{node_id}", "name_en": f"node {node_id}", "kind": kind,
            "modes": modes, "adcode": None, "lon": lon, "lat": lat, "location_approximate": False,
            "code": None, "source_url": None, "confidence": "synthetic"}


def link(link_id: str, a: str, b: str, mode: str, km: float, hours: float, cost: float,
         *, bidirectional: bool = True) -> dict[str, object]:
    """One link row in TRANSPORT_LINKS columns."""
    return {"link_id": link_id, "from_node": a, "to_node": b, "mode": mode, "distance_km": km,
            "time_h": hours, "cost_cny_per_t": cost, "bidirectional": bidirectional,
            "approximate": True, "source_url": None, "confidence": "synthetic"}


def frames(nodes: list[dict[str, object]], links: list[dict[str, object]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Node and link frames from row dicts."""
    return pd.DataFrame(nodes), pd.DataFrame(links)


@pytest.fixture(scope="module", autouse=True)
def _data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A private data dir per test module (restored afterwards, so other domains are unaffected)."""
    old = os.environ.get("PARKLINK_DATA_DIR")
    os.environ["PARKLINK_DATA_DIR"] = str(tmp_path_factory.mktemp("logistics-data"))
    get_settings.cache_clear()
    yield
    if old is None:
        os.environ.pop("PARKLINK_DATA_DIR", None)
    else:
        os.environ["PARKLINK_DATA_DIR"] = old
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def mk() -> SimpleNamespace:
    """Row builders for hand-made networks: ``mk.node``, ``mk.link``, ``mk.frames``."""
    return SimpleNamespace(node=node, link=link, frames=frames)


@pytest.fixture(scope="session")
def dataset() -> dict[str, object]:
    """The embedded dataset frames the network is built from."""
    from parklink.datasets import chengyu

    return {"regions": chengyu.load("regions"), "parks": chengyu.load("parks"),
            "transport_nodes": chengyu.load("transport_nodes"), "boundaries": chengyu.boundaries()}


@pytest.fixture(scope="session")
def chengyu_network(dataset: dict[str, object]) -> Network:
    """The approximate network of the embedded dataset."""
    return build_network(**dataset)  # type: ignore[arg-type]
