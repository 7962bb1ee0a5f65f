"""A thin, vectorised modelling layer over HiGHS (highspy) with named constraint groups.

Variables are integer indices into one column space; constraints are added in named
*groups* (``"cumulative_count"``, ``"coverage"``, ...), so a model that turns out to be
infeasible can be explained by relaxing whole groups (a deletion filter over groups,
after Chinneck 2008, *Feasibility and Infeasibility in Optimization*) instead of
returning a bare solver status.

Typical use::

    m = Model("mclp", sense="max")
    y = m.add_binaries(n_sites, name="open")
    z = m.add_binaries(n_demand, name="covered", obj=weights)
    m.add_rows("coverage", rows=A_cover_minus_identity, lb=0.0)   # sum_j a_ij y_j - z_i >= 0
    m.add_row("budget", y, np.ones(n_sites), ub=p)
    sol = m.solve(time_limit=10, mip_gap=0.0)
    sol.objective, sol.mip_gap, sol.seconds, sol.value(y)

The solve is stateless with respect to the model: per-solve bound overrides (``fix``)
and relaxed groups (``drop_groups``) never change the stored model, so the same model is
re-solved for "what if this park were forced out" explanations.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import highspy
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from parklink.errors import InfeasibleError

INF = math.inf
Sense = Literal["max", "min"]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "unbounded_or_infeasible",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kIterationLimit: "iteration_limit",
    highspy.HighsModelStatus.kSolutionLimit: "solution_limit",
    highspy.HighsModelStatus.kInterrupt: "interrupted",
    highspy.HighsModelStatus.kModelEmpty: "optimal",
}

_BANNER_DONE = False


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence the C-level stdout while HiGHS prints its one-off banner."""
    try:
        fd = os.dup(1)
    except OSError:  # no real stdout (e.g. some notebook kernels)
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(fd, 1)
        os.close(fd)


def _new_highs() -> highspy.Highs:
    global _BANNER_DONE
    if _BANNER_DONE:
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    else:
        with _quiet_stdout():
            h = highspy.Highs()  # type: ignore[no-untyped-call]
        _BANNER_DONE = True
    h.setOptionValue("output_flag", False)
    return h


@dataclass(frozen=True, slots=True, eq=False)
class Solution:
    """The result of one solve.

    ``status`` is one of ``optimal``, ``time_limit`` (a feasible incumbent may exist),
    ``infeasible``, ``unbounded``, ``unbounded_or_infeasible``, ... ; ``objective`` is in
    the model's own units (``nan`` without an incumbent); ``mip_gap`` is HiGHS's relative
    gap ``|primal - dual| / |primal|`` (0 for LPs); ``seconds`` is wall time of the solve;
    ``time_limit`` and ``mip_gap_target`` record the options used.
    """

    status: str
    objective: float
    mip_gap: float
    dual_bound: float
    seconds: float
    time_limit: float
    mip_gap_target: float
    x: FloatArray = field(repr=False)
    row_activity: FloatArray = field(repr=False)
    row_lb: FloatArray = field(repr=False)
    row_ub: FloatArray = field(repr=False)
    row_group: tuple[str, ...] = field(repr=False)
    row_name: tuple[str, ...] = field(repr=False)
    col_name: tuple[str, ...] = field(repr=False)
    dropped_groups: tuple[str, ...] = ()

    @property
    def optimal(self) -> bool:
        """True when HiGHS proved optimality within ``mip_gap_target``."""
        return self.status == "optimal"

    @property
    def feasible(self) -> bool:
        """True when an incumbent (feasible solution) is available."""
        return self.x.size > 0 and not math.isnan(self.objective)

    def value(self, idx: int | Sequence[int] | IntArray) -> FloatArray:
        """Values of the variables ``idx`` (an index or index array) in this solution."""
        return np.asarray(self.x[np.asarray(idx)], dtype=np.float64)

    def binding(self, *, tol: float = 1e-6, groups: Iterable[str] | None = None) -> pd.DataFrame:
        """Constraints whose activity sits on a finite bound (tight), with group and side.

        Columns: ``group``, ``name``, ``activity``, ``lb``, ``ub``, ``side`` (``lower``,
        ``upper`` or ``equality``).
        """
        if not self.feasible:
            return pd.DataFrame(columns=["group", "name", "activity", "lb", "ub", "side"])
        act = self.row_activity
        lo = np.isfinite(self.row_lb) & (np.abs(act - self.row_lb) <= tol * (1 + np.abs(self.row_lb)))
        hi = np.isfinite(self.row_ub) & (np.abs(act - self.row_ub) <= tol * (1 + np.abs(self.row_ub)))
        tight = lo | hi
        wanted = set(groups) if groups is not None else None
        rows = []
        for i in np.flatnonzero(tight):
            g = self.row_group[i]
            if wanted is not None and g not in wanted:
                continue
            eq = self.row_lb[i] == self.row_ub[i]
            side = "equality" if eq else ("lower" if lo[i] else "upper")
            rows.append((g, self.row_name[i], float(act[i]), float(self.row_lb[i]), float(self.row_ub[i]), side))
        return pd.DataFrame(rows, columns=["group", "name", "activity", "lb", "ub", "side"])

    def to_frame(self) -> pd.DataFrame:
        """One row per variable: ``name``, ``value``."""
        return pd.DataFrame({"name": list(self.col_name), "value": self.x})

    def summary(self) -> dict[str, object]:
        """JSON-serialisable summary: status, objective, gap, seconds, options."""
        return {
            "status": self.status,
            "objective": None if math.isnan(self.objective) else self.objective,
            "mip_gap": self.mip_gap,
            "dual_bound": self.dual_bound,
            "seconds": round(self.seconds, 4),
            "time_limit": self.time_limit,
            "mip_gap_target": self.mip_gap_target,
            "dropped_groups": list(self.dropped_groups),
        }


@dataclass(frozen=True, slots=True)
class Infeasibility:
    """Why a model is infeasible, in terms of constraint groups.

    ``conflict`` is an irreducible set of groups: with all of them enforced (and every
    group outside it dropped) the model is infeasible, dropping any one restores
    feasibility. ``single_relaxations`` lists the groups whose removal alone makes the
    full model feasible. ``protected`` groups were never relaxed.
    """

    conflict: tuple[str, ...]
    single_relaxations: tuple[str, ...]
    protected: tuple[str, ...]
    solves: int

    def message(self) -> str:
        """A one-paragraph explanation (English; group names are the model's)."""
        txt = "conflicting constraint groups: " + ", ".join(self.conflict)
        if self.single_relaxations:
            txt += "; relaxing any one of " + ", ".join(self.single_relaxations) + " restores feasibility"
        else:
            txt += "; no single group's relaxation restores feasibility"
        return txt


class Model:
    """A linear / mixed-integer model built in numpy blocks and solved by HiGHS.

    Parameters
    ----------
    name:
        A label used in messages.
    sense:
        ``"max"`` or ``"min"`` (the objective direction).
    """

    def __init__(self, name: str = "model", *, sense: Sense = "max") -> None:
        if sense not in ("max", "min"):
            raise ValueError(f"sense must be 'max' or 'min', not {sense!r}")
        self.name = name
        self.sense: Sense = sense
        self.objective_offset = 0.0
        self._lb: list[FloatArray] = []
        self._ub: list[FloatArray] = []
        self._cost: list[FloatArray] = []
        self._int: list[npt.NDArray[np.bool_]] = []
        self._col_blocks: list[tuple[int, int, str, bool]] = []  # start, n, name, scalar
        self._ncol = 0
        self._r: list[IntArray] = []
        self._c: list[IntArray] = []
        self._v: list[FloatArray] = []
        self._rlb: list[FloatArray] = []
        self._rub: list[FloatArray] = []
        self._row_blocks: list[tuple[int, int, str, tuple[str, ...] | None]] = []  # start, n, group, names
        self._nrow = 0
        self._cache: tuple[sp.csr_matrix, FloatArray, FloatArray, npt.NDArray[np.int64]] | None = None
        self._groups: list[str] = []

    # ------------------------------------------------------------------ variables
    @property
    def num_vars(self) -> int:
        """Number of variables (columns)."""
        return self._ncol

    @property
    def num_rows(self) -> int:
        """Number of constraints (rows)."""
        return self._nrow

    @property
    def groups(self) -> tuple[str, ...]:
        """Constraint group names in the order they were first used."""
        return tuple(self._groups)

    def add_vars(
        self,
        n: int,
        *,
        name: str,
        lb: float | npt.ArrayLike = 0.0,
        ub: float | npt.ArrayLike = INF,
        obj: float | npt.ArrayLike = 0.0,
        integer: bool = False,
    ) -> IntArray:
        """Add ``n`` variables named ``name[0..n-1]``; returns their indices."""
        if n < 0:
            raise ValueError("n must be non-negative")
        start = self._ncol
        self._lb.append(np.broadcast_to(np.asarray(lb, dtype=np.float64), (n,)).copy())
        self._ub.append(np.broadcast_to(np.asarray(ub, dtype=np.float64), (n,)).copy())
        self._cost.append(np.broadcast_to(np.asarray(obj, dtype=np.float64), (n,)).copy())
        self._int.append(np.full(n, integer, dtype=bool))
        self._col_blocks.append((start, n, name, False))
        self._ncol += n
        return np.arange(start, start + n, dtype=np.int64)

    def add_binaries(self, n: int, *, name: str, obj: float | npt.ArrayLike = 0.0) -> IntArray:
        """Add ``n`` binary (0/1) variables; returns their indices."""
        return self.add_vars(n, name=name, lb=0.0, ub=1.0, obj=obj, integer=True)

    def add_var(
        self, name: str, *, lb: float = 0.0, ub: float = INF, obj: float = 0.0, integer: bool = False
    ) -> int:
        """Add one variable; returns its index."""
        idx = self.add_vars(1, name=name, lb=lb, ub=ub, obj=obj, integer=integer)
        self._col_blocks[-1] = (int(idx[0]), 1, name, True)
        return int(idx[0])

    def set_objective(
        self,
        idx: npt.ArrayLike,
        coefs: npt.ArrayLike,
        *,
        sense: Sense | None = None,
        offset: float = 0.0,
    ) -> None:
        """Replace the objective: zero everywhere, ``coefs`` on ``idx`` (duplicates add up)."""
        cost = np.zeros(self._ncol)
        np.add.at(cost, np.asarray(idx, dtype=np.int64), np.asarray(coefs, dtype=np.float64))
        self._cost = [cost]
        self._lb = [np.concatenate(self._lb)] if self._lb else []
        self._ub = [np.concatenate(self._ub)] if self._ub else []
        self._int = [np.concatenate(self._int)] if self._int else []
        if sense is not None:
            self.sense = sense
        self.objective_offset = offset

    def fix(self, idx: npt.ArrayLike, value: float | npt.ArrayLike) -> None:
        """Fix variables permanently (lower = upper = value)."""
        lb, ub = self._bounds()
        ii = np.asarray(idx, dtype=np.int64)
        lb[ii] = value
        ub[ii] = value
        self._lb, self._ub = [lb], [ub]
        cost = np.concatenate(self._cost)
        self._cost = [cost]
        self._int = [np.concatenate(self._int)]

    def _bounds(self) -> tuple[FloatArray, FloatArray]:
        lb = np.concatenate(self._lb) if self._lb else np.zeros(0)
        ub = np.concatenate(self._ub) if self._ub else np.zeros(0)
        return lb, ub

    def var_name(self, idx: int) -> str:
        """The display name of variable ``idx`` (``block[i]`` or the scalar's name)."""
        for start, n, name, scalar in self._col_blocks:
            if start <= idx < start + n:
                return name if scalar else f"{name}[{idx - start}]"
        raise IndexError(idx)

    # ------------------------------------------------------------------ constraints
    def add_rows(
        self,
        group: str,
        *,
        rows: sp.spmatrix | sp.sparray | npt.ArrayLike,
        lb: float | npt.ArrayLike = -INF,
        ub: float | npt.ArrayLike = INF,
        names: Sequence[str] | None = None,
    ) -> IntArray:
        """Add ``lb <= rows @ x <= ub`` as constraints of ``group``; returns row indices.

        ``rows`` is a (k × num_vars) matrix, sparse or dense (fewer columns are padded
        with zeros, so a model can grow after rows were added).
        """
        mat = sp.coo_matrix(rows)
        k = mat.shape[0]
        if mat.shape[1] > self._ncol:
            raise ValueError(f"rows have {mat.shape[1]} columns but the model has {self._ncol} variables")
        if names is not None and len(names) != k:
            raise ValueError("names must have one entry per row")
        start = self._nrow
        self._r.append(mat.row.astype(np.int64) + start)
        self._c.append(mat.col.astype(np.int64))
        self._v.append(mat.data.astype(np.float64))
        self._rlb.append(np.broadcast_to(np.asarray(lb, dtype=np.float64), (k,)).copy())
        self._rub.append(np.broadcast_to(np.asarray(ub, dtype=np.float64), (k,)).copy())
        self._row_blocks.append((start, k, group, tuple(names) if names is not None else None))
        if group not in self._groups:
            self._groups.append(group)
        self._nrow += k
        self._cache = None
        return np.arange(start, start + k, dtype=np.int64)

    def add_row(
        self,
        group: str,
        idx: npt.ArrayLike,
        coefs: npt.ArrayLike,
        *,
        lb: float = -INF,
        ub: float = INF,
        name: str | None = None,
    ) -> int:
        """Add one constraint ``lb <= sum coefs * x[idx] <= ub`` to ``group``."""
        ii = np.atleast_1d(np.asarray(idx, dtype=np.int64))
        vv = np.broadcast_to(np.asarray(coefs, dtype=np.float64), ii.shape)
        mat = sp.coo_matrix((vv, (np.zeros_like(ii), ii)), shape=(1, self._ncol))
        out = self.add_rows(group, rows=mat, lb=lb, ub=ub, names=None if name is None else [name])
        return int(out[0])

    def row_names(self) -> tuple[str, ...]:
        """Display names of all rows (given names or ``group[i]``)."""
        out: list[str] = []
        for _start, n, group, names in self._row_blocks:
            out.extend(names if names is not None else [f"{group}[{i}]" for i in range(n)])
        return tuple(out)

    def row_groups(self) -> tuple[str, ...]:
        """Group of every row."""
        out: list[str] = []
        for _start, n, group, _names in self._row_blocks:
            out.extend([group] * n)
        return tuple(out)

    def _matrix(self) -> tuple[sp.csr_matrix, FloatArray, FloatArray, npt.NDArray[np.int64]]:
        if self._cache is None:
            r = np.concatenate(self._r) if self._r else np.zeros(0, np.int64)
            c = np.concatenate(self._c) if self._c else np.zeros(0, np.int64)
            v = np.concatenate(self._v) if self._v else np.zeros(0)
            a = sp.csr_matrix((v, (r, c)), shape=(self._nrow, self._ncol))
            a.sum_duplicates()
            gid = np.empty(self._nrow, dtype=np.int64)
            for start, n, group, _names in self._row_blocks:
                gid[start : start + n] = self._groups.index(group)
            rlb = np.concatenate(self._rlb) if self._rlb else np.zeros(0)
            rub = np.concatenate(self._rub) if self._rub else np.zeros(0)
            self._cache = (a, rlb, rub, gid)
        return self._cache

    # ------------------------------------------------------------------ solving
    def solve(
        self,
        *,
        time_limit: float = 60.0,
        mip_gap: float = 0.0,
        threads: int | None = None,
        drop_groups: Iterable[str] = (),
        fix: Mapping[int, float] | None = None,
        feasibility_only: bool = False,
        write_to: str | os.PathLike[str] | None = None,
    ) -> Solution:
        """Solve with HiGHS and return a :class:`Solution` (never raises on infeasibility).

        ``time_limit`` in seconds; ``mip_gap`` the relative MIP gap at which HiGHS may
        stop (0 = prove optimality); ``drop_groups`` relaxes whole constraint groups for
        this solve; ``fix`` overrides bounds (variable index → value) for this solve only;
        ``feasibility_only`` ignores the objective; ``write_to`` also writes the model as
        solved to that file (``.mps`` or ``.lp``, by extension) for other solvers.
        """
        unknown = set(drop_groups) - set(self._groups)
        if unknown:
            raise ValueError(f"unknown constraint groups: {sorted(unknown)}")
        a, rlb, rub, gid = self._matrix()
        dropped = tuple(g for g in self._groups if g in set(drop_groups))
        keep = np.ones(self._nrow, dtype=bool)
        for g in dropped:
            keep &= gid != self._groups.index(g)
        a_used = a[keep] if not keep.all() else a
        lb, ub = self._bounds()
        lb, ub = lb.copy(), ub.copy()
        if fix:
            ii = np.fromiter(fix.keys(), dtype=np.int64, count=len(fix))
            vv = np.fromiter(fix.values(), dtype=np.float64, count=len(fix))
            lb[ii] = vv
            ub[ii] = vv
        cost = np.concatenate(self._cost) if self._cost else np.zeros(0)
        integ = np.concatenate(self._int) if self._int else np.zeros(0, dtype=bool)

        lp = highspy.HighsLp()
        lp.num_col_ = self._ncol
        lp.num_row_ = int(a_used.shape[0])
        lp.col_cost_ = np.zeros(self._ncol) if feasibility_only else cost
        lp.col_lower_ = lb
        lp.col_upper_ = ub
        lp.row_lower_ = rlb[keep]
        lp.row_upper_ = rub[keep]
        lp.offset_ = 0.0 if feasibility_only else self.objective_offset
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = a_used.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a_used.indices.astype(np.int32)
        lp.a_matrix_.value_ = a_used.data.astype(np.float64)
        lp.a_matrix_.num_col_ = self._ncol
        lp.a_matrix_.num_row_ = int(a_used.shape[0])
        is_mip = bool(integ.any())
        if is_mip:
            lp.integrality_ = [
                highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous for f in integ
            ]
        lp.sense_ = highspy.ObjSense.kMaximize if self.sense == "max" else highspy.ObjSense.kMinimize

        h = _new_highs()
        if write_to is not None:
            h.passModel(lp)
            h.writeModel(str(write_to))
            h = _new_highs()
        h.setOptionValue("time_limit", float(time_limit))
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        if threads is not None:
            h.setOptionValue("threads", int(threads))
        t0 = time.perf_counter()
        h.passModel(lp)
        h.run()
        seconds = time.perf_counter() - t0
        st = h.getModelStatus()
        status = _STATUS.get(st, h.modelStatusToString(st).lower().replace(" ", "_"))
        info = h.getInfo()
        has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
        if has_sol:
            sol = h.getSolution()
            x = np.asarray(sol.col_value, dtype=np.float64)
            act_kept = np.asarray(sol.row_value, dtype=np.float64)
            act = np.full(self._nrow, np.nan)
            act[keep] = act_kept
            obj = float(info.objective_function_value)
            gap = float(info.mip_gap) if is_mip else 0.0
            bound = float(info.mip_dual_bound) if is_mip else obj
            if gap != gap or abs(gap) == INF:  # nan / inf when both bounds are 0
                gap = 0.0 if status == "optimal" else gap
        else:
            x = np.zeros(0)
            act = np.zeros(0)
            obj, gap, bound = math.nan, math.nan, math.nan
        if status == "optimal" and not is_mip:
            gap = 0.0
        rlb_out = rlb.copy()
        rub_out = rub.copy()
        rlb_out[~keep] = -INF
        rub_out[~keep] = INF
        return Solution(
            status=status,
            objective=obj,
            mip_gap=gap,
            dual_bound=bound,
            seconds=seconds,
            time_limit=float(time_limit),
            mip_gap_target=float(mip_gap),
            x=x,
            row_activity=act,
            row_lb=rlb_out,
            row_ub=rub_out,
            row_group=self.row_groups(),
            row_name=self.row_names(),
            col_name=tuple(self.var_name(i) for i in range(self._ncol)) if self._ncol <= 20000 else (),
            dropped_groups=dropped,
        )

    def is_feasible(
        self,
        *,
        drop_groups: Iterable[str] = (),
        fix: Mapping[int, float] | None = None,
        time_limit: float = 30.0,
    ) -> bool:
        """Whether the model (with ``drop_groups`` relaxed) has a feasible solution."""
        sol = self.solve(time_limit=time_limit, drop_groups=drop_groups, fix=fix, feasibility_only=True)
        if sol.status in ("time_limit", "iteration_limit", "interrupted") and not sol.feasible:
            raise InfeasibleError(
                f"{self.name}: feasibility could not be decided within {time_limit} s", conflicts=()
            )
        return sol.feasible

    def explain_infeasibility(
        self,
        *,
        protected: Iterable[str] = (),
        fix: Mapping[int, float] | None = None,
        time_limit: float = 30.0,
    ) -> Infeasibility:
        """Find conflicting constraint groups by a deletion filter over groups.

        Starting from all relaxable groups (infeasible), each group is tentatively
        dropped; if the rest stays infeasible the group is left out of the conflict for
        good. What remains is an irreducible infeasible set of groups (the deletion
        filter of Chinneck 2008). ``protected`` groups (e.g. variable-definition rows) are always enforced.
        The variable bounds (including ``fix``) are always enforced.
        """
        prot = tuple(g for g in self._groups if g in set(protected))
        relaxable = [g for g in self._groups if g not in prot]
        solves = 0

        def feasible(enforced: Sequence[str]) -> bool:
            nonlocal solves
            solves += 1
            drop = [g for g in relaxable if g not in enforced]
            return self.is_feasible(drop_groups=drop, fix=fix, time_limit=time_limit)

        if feasible(relaxable):
            return Infeasibility((), (), prot, solves)
        if not feasible([]):
            return Infeasibility(("variable bounds / fixed values", *prot), (), prot, solves)
        conflict = list(relaxable)
        for g in list(relaxable):
            trial = [c for c in conflict if c != g]
            if not feasible(trial):
                conflict = trial
        singles = tuple(g for g in conflict if feasible([c for c in relaxable if c != g]))
        return Infeasibility(tuple(conflict), singles, prot, solves)

    def solve_or_explain(
        self,
        *,
        time_limit: float = 60.0,
        mip_gap: float = 0.0,
        threads: int | None = None,
        protected: Iterable[str] = (),
        fix: Mapping[int, float] | None = None,
    ) -> Solution:
        """Solve; on infeasibility raise :class:`InfeasibleError` naming conflicting groups."""
        sol = self.solve(time_limit=time_limit, mip_gap=mip_gap, threads=threads, fix=fix)
        if sol.status in ("infeasible", "unbounded_or_infeasible") and not sol.feasible:
            why = self.explain_infeasibility(protected=protected, fix=fix, time_limit=time_limit)
            raise InfeasibleError(f"{self.name} is infeasible: {why.message()}", conflicts=why.conflict)
        return sol
