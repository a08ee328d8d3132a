"""The subgradient multipliers of the Lagrangian bound: valid, useful, on time, repeatable.

The oracle is the exact optimum of CP-SAT on small parts (as in ``test_lns.py``):
every bound must be at least it, for any multipliers the method finds.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import small_problems

from matchcore import Problem
from matchcore.engines import relaxation
from matchcore.engines.cpsat import CpSatSettings, solve_cpsat
from matchcore.engines.relaxation import (
    coupling_rows,
    items_of,
    lagrangian_bound,
    lagrangian_value,
    priority_bound,
    separation,
    subgradient_multipliers,
)
from matchcore.params import DEFAULT_PARAMS, Deadline, RelaxationParams
from matchcore.synth.generate import generate
from matchcore.tasks.parts import Part, PartResult, split_parts
from matchcore.tasks.solve import prepare

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# The subgradient method wherever there are coupling rows: no flow relaxation
# (a deadline is given and every part has more items than this), no PDLP.
SUBGRADIENT_ONLY = dataclasses.replace(
    DEFAULT_PARAMS,
    relaxation=RelaxationParams(flow_max_items=0, pdlp_seconds_per_item=1e9),
)


def _parts(problem: Problem) -> list[Part]:
    cand, arrays = prepare(problem)
    parts: list[Part] = split_parts(cand, arrays)
    return parts


def _served(part: Part, result: PartResult) -> int:
    served = np.zeros(part.n_requests, dtype=bool)
    served[part.p_req[result.chosen]] = True
    return int(part.priority[served].sum())


def _optimum(part: Part) -> int:
    exact = solve_cpsat(part, CpSatSettings(Deadline.after(30)))
    assert exact.optimal
    return _served(part, exact)


def _iterations(n: int) -> RelaxationParams:
    return RelaxationParams(subgradient_iterations=n)


def _capacity_bound_part() -> Part:
    """Untimed, every volunteer with a weekly task limit and far more requests
    than the limits allow: the volunteers' task rows bind, the flow is not used."""
    problem = generate(
        6,
        60,
        region="westhoek",
        timed=False,
        seed=3,
        task_limit_share=1.0,
        minute_limit_share=0.0,
    )
    return max(_parts(problem), key=lambda p: p.n_pairs)


# -- validity ---------------------------------------------------------------------------


@SETTINGS
@given(small_problems())
def test_subgradient_bound_is_at_least_the_exact_optimum(problem: Problem) -> None:
    for part in _parts(problem):
        best = _optimum(part)
        it = items_of(part)
        rows = coupling_rows(part, it)
        for n in (1, 5, 40):
            u = subgradient_multipliers(part, it, rows, None, _iterations(n))
            assert (u >= 0).all()
            assert lagrangian_bound(part, it, rows, u) >= best
        assert priority_bound(part, Deadline.after(5), SUBGRADIENT_ONLY) >= best


@SETTINGS
@given(small_problems(), st.integers(0, 2**32 - 1))
def test_fast_value_is_the_bound_before_rounding_and_gives_a_subgradient(
    problem: Problem, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    for part in _parts(problem):
        it = items_of(part)
        rows = coupling_rows(part, it)
        sep = separation(part, it)
        m = rows.rhs.size
        # Multiples of 1/8 on integral rows: every sum is exact in float64, so
        # the two evaluations must agree to the unit.
        u = rng.integers(0, 9, m) / 8.0 * (rng.random(m) < 0.5)
        value, grad = lagrangian_value(part, it, rows, sep, u)
        assert lagrangian_bound(part, it, rows, u) == math.floor(value)
        # The subgradient inequality L(v) >= L(u) + g . (v - u), near u (where a
        # wrong g shows) and far from it.
        for step in (1e-3, 1e-2, 0.1, 1.0):
            v = np.maximum(u + step * rng.normal(size=m), 0.0)
            other, _ = lagrangian_value(part, it, rows, sep, v)
            assert other >= value + float(grad @ (v - u)) - 1e-9 * (1.0 + abs(other))


# -- usefulness -------------------------------------------------------------------------


def test_subgradient_moves_the_bound_below_the_trivial_one_where_capacity_binds() -> None:
    part = _capacity_bound_part()
    trivial = int(part.priority.sum())
    best = _optimum(part)
    assert best < trivial  # the instance is what it claims: capacity binds
    it = items_of(part)
    rows = coupling_rows(part, it)
    assert lagrangian_bound(part, it, rows, np.zeros(rows.rhs.size)) == trivial
    u = subgradient_multipliers(part, it, rows, None, _iterations(50))
    assert u.any()
    bound = lagrangian_bound(part, it, rows, u)
    assert best <= bound < trivial
    assert best <= priority_bound(part, Deadline.after(5), SUBGRADIENT_ONLY) < trivial


# -- time and repeatability ---------------------------------------------------------------


def test_an_expired_deadline_gives_zero_multipliers_without_iterating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    part = _capacity_bound_part()
    it = items_of(part)
    rows = coupling_rows(part, it)
    calls: list[int] = []

    def counting(*args: object) -> object:
        calls.append(1)
        raise AssertionError("evaluated after the deadline")

    monkeypatch.setattr(relaxation, "lagrangian_value", counting)
    u = subgradient_multipliers(part, it, rows, Deadline.after(0.0))
    assert not u.any() and u.size == rows.rhs.size
    # Time left, but less than one iteration is expected to take: none starts.
    u = subgradient_multipliers(part, it, rows, Deadline.after(60.0), iteration_s=120.0)
    assert not u.any()
    assert not calls
    assert priority_bound(part, Deadline.after(0.0), SUBGRADIENT_ONLY) == int(part.priority.sum())


def test_same_part_same_multipliers_and_bound() -> None:
    part = _capacity_bound_part()
    it = items_of(part)
    rows = coupling_rows(part, it)
    first = subgradient_multipliers(part, it, rows, None, _iterations(30))
    again = subgradient_multipliers(
        part, items_of(part), coupling_rows(part, it), None, _iterations(30)
    )
    assert np.array_equal(first, again)
    assert lagrangian_bound(part, it, rows, first) == lagrangian_bound(part, it, rows, again)


def test_more_iterations_never_give_a_larger_bound() -> None:
    """The best ``L(u)`` seen is kept: a longer run only adds candidates."""
    part = _capacity_bound_part()
    it = items_of(part)
    rows = coupling_rows(part, it)
    sep = separation(part, it)
    values = [
        lagrangian_value(
            part, it, rows, sep, subgradient_multipliers(part, it, rows, None, _iterations(n))
        )[0]
        for n in (1, 3, 10, 30)
    ]
    assert values == sorted(values, reverse=True)


@pytest.mark.parametrize(
    ("per_item", "setup", "expected"),
    [
        (1e9, 0.0, ["subgradient", "pdlp"]),  # PDLP after, in the time left
        (1e9, 1e9, ["subgradient"]),  # no time for PDLP's set-up after it
        (0.0, 0.0, ["pdlp"]),
    ],
)
def test_pdlp_first_only_where_its_time_per_item_suffices(
    monkeypatch: pytest.MonkeyPatch, per_item: float, setup: float, expected: list[str]
) -> None:
    part = _capacity_bound_part()
    called: list[str] = []
    real_sub, real_lp = relaxation.subgradient_multipliers, relaxation.lp_multipliers

    def sub(*args: Any, **kwargs: Any) -> Any:
        called.append("subgradient")
        return real_sub(*args, **kwargs)

    def lp(*args: Any, **kwargs: Any) -> Any:
        called.append("pdlp")
        return real_lp(*args, **kwargs)

    monkeypatch.setattr(relaxation, "subgradient_multipliers", sub)
    monkeypatch.setattr(relaxation, "lp_multipliers", lp)
    rp = RelaxationParams(
        flow_max_items=0, pdlp_seconds_per_item=per_item, pdlp_setup_seconds_per_item=setup
    )
    params = dataclasses.replace(DEFAULT_PARAMS, relaxation=rp)
    bound = priority_bound(part, Deadline.after(5), params)
    assert called == expected
    assert _optimum(part) <= bound < int(part.priority.sum())


@pytest.mark.parametrize(("per_item", "solved"), [(1e9, False), (0.0, True)])
def test_the_flow_is_solved_only_when_its_time_fits(
    monkeypatch: pytest.MonkeyPatch, per_item: float, solved: bool
) -> None:
    part = _capacity_bound_part()
    called: list[bool] = []
    real = relaxation.flow_bound

    def flow(*args: Any) -> Any:
        called.append(True)
        return real(*args)

    monkeypatch.setattr(relaxation, "flow_bound", flow)
    params = dataclasses.replace(
        DEFAULT_PARAMS, relaxation=RelaxationParams(flow_seconds_per_item=per_item)
    )
    priority_bound(part, Deadline.after(5), params)
    assert called == ([True] if solved else [])
    called.clear()
    priority_bound(part, None, params)  # without a deadline the flow always runs
    assert called == [True]
