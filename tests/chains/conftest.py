"""A tiny hand-made firm network with hand-computed expectations (see test_chains_metrics.py).

Firms (output in million CNY) and 2023 purchases (kCNY):

    park p1 (SC, 510112): F1 auto.vehicle leader 1000, F2 auto.parts 200,
                          F8 electronics.phone leader 600
    SC 510116:            F3 auto.parts;auto.steel 100
    park p2 (CQ, 500112): F4 auto.vehicle leader 800, F5 auto.parts 300
    CQ 500113:            F6 auto.steel 400, F10 electronics.pcb 50
    outside (OUT):        F7 auto.parts 500 (Shanghai), F9 electronics.pcb 250 (Shenzhen)

    2023: F2→F1 100, F3→F1 50, F5→F1 30, F7→F1 20, F6→F2 40, F3→F2 10, F5→F4 200,
          F2→F4 50, F7→F4 50, F99→F4 10 (unknown supplier), F6→F5 60, F9→F8 90
    2022: F2→F4 25, F5→F1 30, F9→F8 45
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import typer

from parklink.chains.data import ChainData
from parklink.chains.scope import ScopeFrames
from parklink.firmdata import FirmDataset

FIRMS = [
    # id, province, adcode, park, lon, lat, chain, segments, output, leading
    ("F1", "SC", "510112", "p1", 104.27, 30.56, "auto", "auto.vehicle", 1000.0, True),
    ("F2", "SC", "510112", "p1", 104.28, 30.57, "auto", "auto.parts", 200.0, False),
    ("F3", "SC", "510116", None, 104.00, 30.50, "auto", "auto.parts;auto.steel", 100.0, False),
    ("F4", "CQ", "500112", "p2", 106.63, 29.72, "auto", "auto.vehicle", 800.0, True),
    ("F5", "CQ", "500112", "p2", 106.64, 29.73, "auto", "auto.parts", 300.0, False),
    ("F6", "CQ", "500113", None, 106.50, 29.40, "auto", "auto.steel", 400.0, False),
    ("F7", "OUT", None, None, 121.47, 31.23, "auto", "auto.parts", 500.0, False),
    ("F8", "SC", "510112", "p1", 104.26, 30.55, "electronics", "electronics.phone", 600.0, True),
    ("F9", "OUT", None, None, 113.90, 22.50, "electronics", "electronics.pcb", 250.0, False),
    ("F10", "CQ", "500113", None, 106.52, 29.41, "electronics", "electronics.pcb", 50.0, False),
]
TX = [
    ("F2", "F1", 2023, 100.0), ("F3", "F1", 2023, 50.0), ("F5", "F1", 2023, 30.0),
    ("F7", "F1", 2023, 20.0), ("F6", "F2", 2023, 40.0), ("F3", "F2", 2023, 10.0),
    ("F5", "F4", 2023, 200.0), ("F2", "F4", 2023, 50.0), ("F7", "F4", 2023, 50.0),
    ("F99", "F4", 2023, 10.0), ("F6", "F5", 2023, 60.0), ("F9", "F8", 2023, 90.0),
    ("F2", "F4", 2022, 25.0), ("F5", "F1", 2022, 30.0), ("F9", "F8", 2022, 45.0),
]
TEMPLATE = [
    # segment_id, chain, zh, en, level, weight, inputs
    ("auto.steel", "auto", "钢材", "Steel", "up", 1.0, ""),
    ("auto.parts", "auto", "零部件", "Parts", "mid", 2.0, "auto.steel"),
    ("auto.vehicle", "auto", "整车", "Vehicles", "mid", 3.0, "auto.parts"),
    ("auto.sales", "auto", "销售", "Sales", "down", 1.0, "auto.vehicle"),
    ("electronics.pcb", "electronics", "电路板", "PCB", "mid", 1.0, ""),
    ("electronics.phone", "electronics", "手机", "Phones", "mid", 1.0, "electronics.pcb"),
]


def firms_frame() -> pd.DataFrame:
    cols = ["enterprise_id", "province", "adcode", "park_id", "lon", "lat", "chain", "segments",
            "output_cny_m", "leading"]
    f = pd.DataFrame(FIRMS, columns=cols)
    f["name_zh"] = "企业" + f["enterprise_id"]
    f["name_en"] = "Firm " + f["enterprise_id"]
    f["size_class"] = "medium"
    f["synthetic"] = True
    f["confidence"] = "synthetic"
    for c in ("adcode", "park_id"):
        f[c] = f[c].astype("string")
    return f


def tx_frame() -> pd.DataFrame:
    t = pd.DataFrame(TX, columns=["supplier_id", "buyer_id", "year", "value_kcny"])
    t["year"] = t["year"].astype("int64")
    return t


def template_frame() -> pd.DataFrame:
    t = pd.DataFrame(TEMPLATE, columns=["segment_id", "chain", "name_zh", "name_en", "level",
                                        "weight", "inputs"])
    t["version"] = "test"
    t["confidence"] = "synthetic"
    return t


def scope_frames() -> ScopeFrames:
    regions = pd.DataFrame([
        ("510000", "四川省", "Sichuan", "province", None, "SC", 104.07, 30.67),
        ("510100", "成都市", "Chengdu", "city", "510000", "SC", 104.07, 30.67),
        ("510112", "龙泉驿区", "Longquanyi", "district", "510100", "SC", 104.27, 30.56),
        ("510116", "双流区", "Shuangliu", "district", "510100", "SC", 103.92, 30.57),
        ("500000", "重庆市", "Chongqing", "province", None, "CQ", 106.55, 29.56),
        ("500100", "重庆市辖区", "Chongqing districts", "city", "500000", "CQ", 106.55, 29.56),
        ("500112", "渝北区", "Yubei", "district", "500100", "CQ", 106.63, 29.72),
        ("500113", "巴南区", "Banan", "district", "500100", "CQ", 106.52, 29.40),
    ], columns=["adcode", "name_zh", "name_en", "level", "parent_adcode", "province",
                "seat_lon", "seat_lat"])
    parks = pd.DataFrame([
        ("p1", "龙泉汽车园", "Longquan Auto Park", "SC", "510112", 104.27, 30.56),
        ("p2", "渝北汽车园", "Yubei Auto Park", "CQ", "500112", 106.63, 29.72),
    ], columns=["park_id", "name_zh", "name_en", "province", "adcode", "lon", "lat"])
    designations = pd.DataFrame([("d1", "p1;p2", "auto")],
                                columns=["designation_id", "members", "theme_chains"])
    zones = pd.DataFrame([("z1", "成都核心", "Chengdu core", "510100")],
                         columns=["zone_id", "name_zh", "name_en", "members"])
    return ScopeFrames(regions=regions, zones=zones, parks=parks, designations=designations)


def write_dataset(root: Path) -> FirmDataset:
    ds = FirmDataset(root)
    (root / "transactions").mkdir(parents=True, exist_ok=True)
    firms_frame().to_parquet(ds.firms_path, index=False)
    tx = tx_frame()
    tx.iloc[:8].to_parquet(root / "transactions" / "part-0.parquet", index=False)
    tx.iloc[8:].to_parquet(root / "transactions" / "part-1.parquet", index=False)
    return ds


def write_keyed_dataset(root: Path) -> FirmDataset:
    """The tiny network as a keyed dataset (parklink.firmdata): keyed firms file, transactions
    through the streamed importer (chunks of 5 rows, so several parts); F99 is a registry
    firm absent from the firms file (null key)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from parklink.firmdata import key_firms, with_keys_metadata
    from parklink.ingest.transactions import import_transactions_file

    ds = FirmDataset(root)
    root.mkdir(parents=True)
    keyed, _, fingerprint = key_firms(firms_frame())
    pq.write_table(with_keys_metadata(pa.Table.from_pandas(keyed, preserve_index=False), fingerprint),
                   ds.firms_path)
    csv = root / "tx.csv"
    tx_frame().to_csv(csv, index=False)
    keys = ds.firm_keys()
    assert keys is not None
    import_transactions_file(csv, ds.transactions_dir, {f[0] for f in FIRMS} | {"F99"}, firm_keys=keys,
                             chunk_rows=5)
    csv.unlink()
    return ds


def cli_app(monkeypatch: pytest.MonkeyPatch, data_dir: Path,
            register: Callable[[typer.Typer], None]) -> typer.Typer:
    """A Typer app with the commands of ``register`` on data dir ``data_dir``: wide console,
    the hand-made scopes and template instead of the registry's (callers clear the settings
    cache afterwards)."""
    from types import MappingProxyType

    from parklink import console
    from parklink.chains import cli as chains_cli
    from parklink.firmdata import FirmDataset
    from parklink.inputs import Inputs
    from parklink.settings import get_settings

    monkeypatch.setenv("PARKLINK_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    monkeypatch.setattr(console.console, "width", 300)
    def inputs() -> Inputs:
        sf = scope_frames()
        frames = {"regions": sf.regions, "zones": sf.zones, "parks": sf.parks, "designations": sf.designations,
                  "chain_segments": template_frame()}
        ds = FirmDataset.default()
        return Inputs(MappingProxyType(frames), "database", "test", "test", ds if ds.exists() else None)

    monkeypatch.setattr(chains_cli, "cli_inputs", inputs)
    app = typer.Typer()
    register(app)

    @app.command("noop")
    def _noop() -> None:  # a second command keeps the registered one a sub-command
        pass

    return app


@pytest.fixture(scope="session")
def tiny_data() -> ChainData:
    return ChainData.from_frames(firms_frame(), tx_frame(), template_frame())


@pytest.fixture(scope="session")
def frames() -> ScopeFrames:
    return scope_frames()
