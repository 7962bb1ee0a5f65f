"""Multimodal freight network: routing, OD matrices, accessibility, transport-node areas, site location.

Modules (import what you need; the package itself imports nothing heavy):

* :mod:`~parklink.logistics.params`   — the one parameter table (speeds, tariffs, handling, value of time)
* :mod:`~parklink.logistics.network`  — :func:`build_network` (as of a year); re-exports :class:`Network`,
  :func:`read_links`, :func:`read_nodes` from ``netcore`` (model, validation), ``netio`` (readers) and
  ``layers`` (rail, water, air, local roads)
* :mod:`~parklink.logistics.expressways` — the sourced expressway layer (``expressways.csv``)
* :mod:`~parklink.logistics.calibration` — ordinary-road calibration and the validation table
* :mod:`~parklink.logistics.graph`    — layered multimodal graph per cargo profile, exact contraction
* :mod:`~parklink.logistics.routing`  — :func:`route`, :func:`od_matrix` (cached), :func:`travel_times`,
  :func:`reachability`
* :mod:`~parklink.logistics.access`   — :func:`accessibility`, :func:`classify_transport_nodes`
* :mod:`~parklink.logistics.sitemodels` — p-median, capacitated p-median, MCLP, LSCP, backup LSCP,
  p-center (predefined sites in all)
* :mod:`~parklink.logistics.location` — logistics functions, candidates, :func:`recommend_sites`
* :mod:`~parklink.logistics.tradeoff` — p-median vs MCLP: cross-evaluation and frontier
* :mod:`~parklink.logistics.plan`     — plan sections and hooks, :func:`park_travel_times`
* :mod:`~parklink.logistics.cli`      — ``register(app)``: ``route``, ``access``, ``sites``
"""
