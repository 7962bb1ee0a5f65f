"""Multimodal freight network: routing, OD matrices, accessibility, transport-node areas, site location.

Modules (import what you need; the package itself imports nothing heavy):

* :mod:`~parklink.logistics.params`   — the one parameter table (speeds, tariffs, handling, value of time)
* :mod:`~parklink.logistics.network`  — :class:`Network`, :func:`build_network`, :func:`read_links`
* :mod:`~parklink.logistics.graph`    — layered multimodal graph per cargo profile, exact contraction
* :mod:`~parklink.logistics.routing`  — :func:`route`, :func:`od_matrix` (cached), :func:`travel_times`,
  :func:`reachability`
* :mod:`~parklink.logistics.access`   — :func:`accessibility`, :func:`classify_transport_nodes`
* :mod:`~parklink.logistics.location` — :func:`p_median`, :func:`mclp`, :func:`recommend_sites`
* :mod:`~parklink.logistics.plan`     — plan sections and hooks, :func:`park_travel_times`
* :mod:`~parklink.logistics.cli`      — ``register(app)``: ``route``, ``access``, ``sites``
"""
