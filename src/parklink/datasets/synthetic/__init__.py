"""Seeded synthetic firm population and supplier -> buyer transactions (合成企业与交易).

Real firm-to-firm data (VAT invoices, credit-bureau networks) is confidential, so the
firm-level analyses are exercised on a **synthetic** network calibrated to published
stylised facts (chain-methods.md §1.6 and §5). Everything this module writes is labelled
``synthetic=True`` / ``confidence='synthetic'``, except the real leading enterprises it is
given, which keep their own rows and sources unchanged.

Model (all parameters in :class:`SyntheticParams`; the defaults and their sources are
listed in ``docs/synthetic.md``):

Firms (:func:`generate_firms`)
    * chain ~ ``chain_shares``; segment within a chain ∝ ``weight_k × level_factor[level_k]``
      (template ``chain_segments``);
    * a share ``out_of_region_share`` is placed at one of :data:`OUT_CITIES` (province
      ``'OUT'``, approximate city points, synthetic placement only); the rest in a district
      of Sichuan/Chongqing with weight
      ``w_d = 1 + park_weight·n_parks(d) + core_weight·exp(-dist(d, core)/core_scale_km)``
      (``core`` = the nearer of :data:`CORE_POINTS`), times ``province_bias`` for the
      firm's chain; a share ``park_share`` of in-region firms sits inside a park (park
      ∝ 1, ×``park_focus_bonus`` when the park's ``focus_chains`` name the firm's chain);
    * annual output (million CNY) is Pareto with tail index ``size_tail`` (Zipf firm sizes,
      Axtell 2001) above ``size_min_cny_m``, capped at ``size_cap_cny_m``; employees =
      output / labour productivity; size class by the NBS 2017 industry thresholds;
    * the real leading enterprises (``leaders``) are prepended; chains without one get
      ``synthetic_leaders_per_chain`` synthetic leaders (largest in-region firms of the
      chain's final segments).

Transactions (:func:`generate_transactions`)
    * buyer *b* in year *t* buys from ``m_bt`` distinct suppliers, ``m ~ Multinomial(T_t,
      p)`` with ``p_b ∝ size_b^buyer_exponent`` over active buyers whose segment has inputs,
      capped (water-filling) at ``max_suppliers_per_buyer`` and ``cap_fraction`` of the
      active firms of its input segments;
    * each supplier draw: input segment *k'* of the buyer's segment *k* (∝ template weight),
      then location group *g* ∝ ``W_{k'g} · max(d_{g,g_b}, self_distance_km)^-ζ``, then firm
      ∝ ``w_s = size_s^α · (1 + k̄_s)^pa_exponent``, where ``k̄_s`` is the supplier's
      mean-field expected customer degree in the previous year under the size-only weights
      (preferential attachment, Hungary ``k^1.08``; entrants start at ``k̄ = 0``; applied one
      step, not compounded over years; the mean-field form keeps buyers independent so the
      output can be generated in bounded-memory chunks). Buyers draw with replacement and
      keep the first distinct suppliers (rejection rounds); buyers needing more than
      1/16 of their candidates use an exact Gumbel top-k instead; buyers still short after
      the rounds keep fewer suppliers (the row count can fall slightly below the target);
    * links survive a year with probability ``(1 - link_churn) / P(both ends stay active)``
      (clipped to 1) so that total churn ≈ ``link_churn`` once firm exits are counted, and a
      dropped link is not redrawn in the same year;
      firms enter/exit with ``entry_rate`` / ``exit_rate`` per year (leaders never exit);
    * value (thousand CNY) = buyer budget ``purchase_ratio × output`` split over its
      suppliers ∝ ``size_s^value_supplier_exponent × LogNormal(0, value_sigma)``; leaders'
      budgets are scaled each year so that they hold ``leader_purchase_share`` of the
      purchases of in-circle buyers.

Randomness: ``numpy.random.default_rng`` seeded from ``(seed, stream, ...)``; buyers are
processed in fixed blocks with their own seeds, so the rows do not depend on ``chunk_rows``.
"""


from parklink.datasets.synthetic.calibration import calibration
from parklink.datasets.synthetic.common import (
    BLOCK_ROWS,
    CORE_POINTS,
    DEFAULT_PARAMS,
    OUT_CITIES,
    OutCity,
    SyntheticParams,
)
from parklink.datasets.synthetic.dataset import GenerationReport, write_dataset
from parklink.datasets.synthetic.firms import _size_class, generate_firms  # noqa: F401  (tests)
from parklink.datasets.synthetic.transactions import (  # noqa: F401  (internals the tests check)
    _build_plan,
    _water_fill,
    generate_transactions,
)

__all__ = [
    "BLOCK_ROWS",
    "CORE_POINTS",
    "DEFAULT_PARAMS",
    "OUT_CITIES",
    "GenerationReport",
    "OutCity",
    "SyntheticParams",
    "calibration",
    "generate_firms",
    "generate_transactions",
    "write_dataset",
]
