"""Thin modelling layer over HiGHS (highspy): variables, grouped constraints, solve, explain.

Public API (stable; used by ``parklink.designate`` and ``parklink.logistics``):

- :class:`Model` — ``Model(name, *, sense="max"|"min")``

  - ``add_vars(n, *, name, lb=0, ub=inf, obj=0, integer=False) -> int array``
  - ``add_binaries(n, *, name, obj=0) -> int array``; ``add_var(name, *, lb, ub, obj, integer) -> int``
  - ``add_rows(group, *, rows, lb=-inf, ub=inf, names=None) -> int array`` (sparse/dense k × n)
  - ``add_row(group, idx, coefs, *, lb=-inf, ub=inf, name=None) -> int``
  - ``set_objective(idx, coefs, *, sense=None, offset=0)``, ``fix(idx, value)``
  - ``solve(*, time_limit=60, mip_gap=0, threads=None, drop_groups=(), fix=None, write_to=None) -> Solution``
    (never raises; ``fix`` / ``drop_groups`` apply to this solve only; ``write_to`` writes .mps/.lp)
  - ``solve_or_explain(...)`` raises :class:`parklink.errors.InfeasibleError` naming groups
  - ``explain_infeasibility(*, protected=(), fix=None) -> Infeasibility``
- :class:`Solution` — ``status, objective, mip_gap, dual_bound, seconds, time_limit,
  mip_gap_target, optimal, feasible, value(idx), binding(), to_frame(), summary()``
- :class:`Infeasibility` — ``conflict, single_relaxations, protected, message()``
"""

from parklink.optim.model import INF, Infeasibility, Model, Solution

__all__ = ["INF", "Infeasibility", "Model", "Solution"]
