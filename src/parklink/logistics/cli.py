"""CLI commands of the logistics domain: ``route``, ``access``, ``sites`` (bilingual, rich tables)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer

from parklink.console import bi, console, frame_table, user_errors
from parklink.logistics.params import CARGO_PROFILES

if TYPE_CHECKING:
    from parklink.inputs import Inputs
    from parklink.logistics.network import Network
    from parklink.logistics.plan import LogisticsInputs

CargoOpt = Annotated[
    str,
    typer.Option("--cargo", "-c", help=f"货类 Cargo profile: {', '.join(CARGO_PROFILES)}."),
]
LinksOpt = Annotated[
    Path | None,
    typer.Option("--links", help="导入路网 Real network links (CSV/GeoJSON per transport_links) replacing the modes they cover."),
]


def _network(links: Path | None, bundle: Inputs | None = None) -> tuple[Network, LogisticsInputs]:
    """The network of the inputs bundle (imported links included); ``--links FILE`` adds
    the links of a file on top (replacing the modes they cover)."""
    from parklink.inputs import read_inputs
    from parklink.logistics.network import read_links
    from parklink.logistics.plan import logistics_inputs, network_from_frames

    bundle = bundle if bundle is not None else read_inputs()
    inputs = logistics_inputs(bundle)
    if links is None:
        return bundle.network(), inputs
    imported = read_links(links, nodes=bundle.network().nodes)
    if inputs.transport_links is not None:
        imported = pd.concat([inputs.transport_links[~inputs.transport_links["mode"].isin(set(imported["mode"]))],
                              imported], ignore_index=True)
    net = network_from_frames(regions=inputs.regions, parks=inputs.parks, transport_nodes=inputs.transport_nodes,
                              boundaries=inputs.boundaries, transport_links=imported)
    return net, inputs


def _write_json(path: Path, doc: object) -> None:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    console.print(bi("已写出", "written:") + f" {path}")


def register(app: typer.Typer) -> None:
    """Add ``route``, ``access`` and ``sites`` to the parklink Typer app."""

    @app.command("route")
    def route_cmd(
        origin: Annotated[str, typer.Argument(help="起点 Origin: park id, hub id, adcode, IATA code or name.")],
        destination: Annotated[str, typer.Argument(help="终点 Destination (same forms as the origin).")],
        cargo: CargoOpt = "container",
        geojson: Annotated[Path | None, typer.Option("--geojson", help="写出路线 GeoJSON Write the route as GeoJSON.")] = None,
        json_out: Annotated[Path | None, typer.Option(
            "--json", help="机器可读结果 Write the summary, legs and inputs fingerprint as JSON.")] = None,
        links: LinksOpt = None,
    ) -> None:
        """最低广义成本路线 Least generalised-cost multimodal route (money + value of time × time)."""
        from parklink.configs import RouteConfig
        from parklink.inputs import read_inputs
        from parklink.runs import find_route
        from parklink.vocab import CARGO_NAMES
        from parklink.vocab import TRANSPORT_MODE_NAMES as MODE_NAMES

        with user_errors():
            config = RouteConfig(origin, destination, cargo)
            bundle = read_inputs()
            run = find_route(bundle, config, network=_network(links, bundle)[0] if links is not None else None)
            r = run.route
            console.print(f"{bi('数据来源', 'Data')}: {bundle.note} · {bi('输入指纹', 'inputs fingerprint')} "
                          f"{run.fingerprint.digest}")
            zh, en = CARGO_NAMES[cargo]
            seq = " → ".join(bi(*MODE_NAMES[m]) for m in r.modes)
            console.print(f"[bold]{bi('路线', 'Route')}[/] {r.origin} → {r.destination} · {bi(zh, en)}")
            console.print(f"{bi('方式序列', 'modes')}: {seq} · {bi('换装', 'transfers')}: {r.transfers}")
            console.print(
                f"{bi('广义成本', 'generalised cost')}: {r.gc_cny_per_t:,.1f} CNY/t · "
                f"{bi('运费', 'money')}: {r.money_cny_per_t:,.1f} CNY/t · {bi('时间', 'time')}: {r.time_h:,.2f} h · "
                f"{bi('距离', 'distance')}: {r.distance_km:,.1f} km"
            )
            legs = r.legs[["seq", "from_name_zh", "to_name_zh", "mode", "km", "time_h",
                           "money_cny_per_t", "gc_cny_per_t"]].round(2)
            legs["mode"] = [bi(*MODE_NAMES[m]) for m in legs["mode"]]
            console.print(frame_table(legs, bi("路段", "Legs")))
            if geojson is not None:
                _write_json(geojson, r.to_geojson())
            if json_out is not None:
                legs_doc = json.loads(run.to_frame().drop(columns=["geometry"], errors="ignore")
                                      .to_json(orient="records", force_ascii=False))
                _write_json(json_out, {**run.summary(), "legs": legs_doc})

    @app.command("access")
    def access_cmd(
        park: Annotated[str | None, typer.Option("--park", "-p", help="园区 Show one park (id or name) and its reachable set.")] = None,
        cargo: CargoOpt = "container",
        geojson: Annotated[Path | None, typer.Option("--geojson", help="写出 1/2/4 小时可达范围 Write 1/2/4 h reachability (needs --park).")] = None,
        links: LinksOpt = None,
    ) -> None:
        """园区可达性 Park accessibility: time to the polar cores and hubs, firms within 1/2/4 h, gravity."""
        from parklink.errors import NotFoundError
        from parklink.logistics.access import accessibility, classify_transport_nodes
        from parklink.logistics.params import check_cargo
        from parklink.logistics.routing import reachability

        with user_errors():
            check_cargo(cargo)
            net, inputs = _network(links)
            firms = inputs.firms
            if firms is not None and "province" in firms.columns:
                firms = firms[firms["province"].astype(str) != "OUT"]
            acc = accessibility(net, firms=firms, cargo=cargo)
            areas = classify_transport_nodes(net, parks=inputs.parks).table
            table = acc.table.merge(areas[["node_id", "transport_node", "hub_id"]], on="node_id")
            if park is not None:
                node = net.resolve(park)
                table = table[table["node_id"] == node]
                if table.empty:
                    raise NotFoundError(f"不是园区 not a park: {park!r}")
            if inputs.synthetic_firms:
                console.print(bi("注意：企业数据为合成数据", "Note: firm data are synthetic") + ".")
            if park is not None:
                shown = table.drop(columns=["node_id", "adcode"]).round(2).T.reset_index()
                shown.columns = pd.Index(["指标 indicator", "值 value"])
            else:
                cols = ["park_id", "name_zh", "time_core_chengdu_h", "time_core_chongqing_h", "time_airport_h",
                        "time_rail_port_h", "time_river_port_h", "output_within_2h_cny_m", "gravity_access",
                        "transport_node"]
                shown = table[cols].round(2)
            console.print(frame_table(shown, bi("园区可达性", "Park accessibility") + f" · {cargo}", max_rows=80))
            if geojson is not None:
                if park is None:
                    raise NotFoundError("--geojson 需要 --park / --geojson needs --park")
                _write_json(geojson, reachability(net, park, cargo=cargo).to_geojson())

    @app.command("sites")
    def sites_cmd(
        function: Annotated[str, typer.Option("--function", "-f", help="物流功能 Logistics function: trade, bonded, supporting, assembly.")] = "bonded",
        p: Annotated[int, typer.Option("--p", help="选址数量 Number of sites to choose.")] = 3,
        links: LinksOpt = None,
        model: Annotated[str, typer.Option("--model", "-m", help="模型 Model: pmedian, mclp, lscp, lscp-b, pcenter, cpmedian (p-median and MCLP always run).")] = "pmedian",
        keep: Annotated[list[str] | None, typer.Option("--keep", help="保留园区 Park id that must be a site (repeatable).")] = None,
        capacity_factor: Annotated[float, typer.Option("--capacity-factor", help="容量系数 cpmedian: site capacity = factor × total demand / p.")] = 1.5,
    ) -> None:
        """物流选址 Logistics-site location: p-median, MCLP, LSCP, backup LSCP, p-center, capacitated p-median (HiGHS)."""
        from parklink.errors import NotFoundError
        from parklink.logistics.location import get_function, recommend_sites
        from parklink.logistics.sitemodels import MODELS

        with user_errors():
            fn = get_function(function)
            net, inputs = _network(links)
            firms = inputs.firms
            if firms is not None and "province" in firms.columns:
                firms = firms[firms["province"].astype(str) != "OUT"]
            if firms is None:
                raise NotFoundError("没有企业数据 no firm data: run 'parklink db init' or 'parklink generate'")
            rec = recommend_sites(net, firms, fn, p=p, model=model, keep=tuple(keep or ()),
                                  capacity_factor=capacity_factor)
            console.print(f"[bold]{bi(fn.name_zh, fn.name_en)}[/] · {bi('货类', 'cargo')} {fn.cargo} · p = {rec.p}")
            if inputs.synthetic_firms:
                console.print(bi("注意：需求来自合成企业数据", "Note: demand comes from synthetic firms") + ".")
            console.print(
                f"p-median {bi('目标值', 'objective')}: {rec.p_median.objective:,.0f} (CNY/t × M CNY) · "
                f"MCLP {bi('覆盖率', 'covered share')}: {rec.mclp.covered_weight_share:.1%} "
                f"({bi('服务标准', 'service standard')} {fn.service_h:g} h)"
            )
            cols = ["park_id", "name_zh", "p_median", "mclp", "demand_assigned_cny_m", "mean_gc_cny_per_t",
                    "demand_within_service_cny_m", "reason"]
            if rec.extra is not None:
                zh_m, en_m = MODELS[model]
                console.print(f"{bi(zh_m, en_m)} {bi('目标值', 'objective')}: {rec.extra.objective:,.2f} · "
                              f"{bi('选址', 'sites')}: {', '.join(rec.sites.loc[rec.sites['extra'], 'park_id'])} · "
                              f"{bi('服务标准内可达需求', 'demand reachable within the standard')}: "
                              f"{rec.extra.covered_weight_share:.1%}")
                cols.insert(4, "extra")
            table = rec.sites[cols].rename(columns={"extra": model})
            table = table.sort_values(["p_median", "mclp"], ascending=False).round(2)
            console.print(frame_table(table, bi("候选园区", "Candidate parks")))
            console.print(rec.why)
            trade = rec.tradeoff.copy()
            for col, spec in (("cost_vs_optimum", "+.1%"), ("covered_share", ".1%"), ("coverage_vs_optimum", "+.1%")):
                trade[col] = [format(float(v), spec) for v in trade[col]]
            trade["p_median_cost"] = trade["p_median_cost"].round(0)
            console.print(frame_table(trade, bi("成本与覆盖的折中", "Cost–coverage trade-off")))
