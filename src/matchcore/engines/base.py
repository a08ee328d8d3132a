"""The one contract every engine keeps.

An engine takes one independent part (:class:`~matchcore.tasks.parts.Part`),
the tuning constants (:class:`~matchcore.params.SolveParams`) and the
solve's :class:`~matchcore.params.Deadline`, and returns a
:class:`~matchcore.tasks.parts.PartResult`:

* ``chosen`` is a feasible plan of the part: every hard rule holds and
  every pin is kept (each served request has its whole team, starts lie in
  every member's start intervals, blocks of a volunteer never overlap,
  task and minute limits hold);
* ``bound`` is a proven upper bound on the part's scaled served priority,
  at least the plan's own;
* ``optimal`` only when the plan is proven lexicographically optimal
  (:mod:`matchcore.engines.objective`); then ``bound`` equals its priority;
* it returns by the deadline (plus the time to stop one search).

``applies`` says whether the engine can take the part at all (the flow
needs a flow-representable part; greedy cannot promise to keep pins).
``tests/engines/test_contract.py`` holds the case table that every engine
here must pass. A new engine implements this protocol and joins
:data:`ENGINES`; the pipeline (:mod:`matchcore.tasks.solve`) chooses among
them per part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from matchcore.engines import colgen
from matchcore.engines.cpsat import CpSatSettings, solve_cpsat
from matchcore.engines.flow import flow_eligible, solve_flow
from matchcore.engines.greedy import solve_greedy
from matchcore.engines.lns import solve_lns
from matchcore.params import Deadline, SolveParams
from matchcore.tasks.parts import Part, PartResult


class Engine(Protocol):
    """What an engine is (see the module docstring)."""

    @property
    def name(self) -> str:
        """The engine's name, as reported in ``Stats.engines``."""
        ...

    def applies(self, part: Part) -> bool:
        """Whether this engine can solve ``part`` under the contract."""
        ...

    def solve(
        self,
        part: Part,
        params: SolveParams,
        deadline: Deadline,
        *,
        seed: int = 0,
        workers: int = 0,
    ) -> PartResult:
        """A plan of ``part`` by ``deadline`` (``workers``: CP-SAT search workers, 0 = default)."""
        ...


@dataclass(frozen=True)
class FlowEngine:
    """Min-cost flow: exact on single-volunteer parts without binding minute budgets."""

    name: str = "min-cost-flow"

    def applies(self, part: Part) -> bool:
        return flow_eligible(part)

    def solve(
        self,
        part: Part,
        params: SolveParams,
        deadline: Deadline,
        *,
        seed: int = 0,
        workers: int = 0,
    ) -> PartResult:
        del params, deadline, seed, workers  # one flow solve, no search to stop
        return solve_flow([part])[0]


@dataclass(frozen=True)
class CpSatEngine:
    """The exact CP-SAT model with every side constraint."""

    name: str = "cp-sat"

    def applies(self, part: Part) -> bool:
        del part
        return True

    def solve(
        self,
        part: Part,
        params: SolveParams,
        deadline: Deadline,
        *,
        seed: int = 0,
        workers: int = 0,
    ) -> PartResult:
        return solve_cpsat(part, CpSatSettings(deadline, workers, seed, params))


@dataclass(frozen=True)
class GreedyEngine:
    """Most urgent first, nearest free volunteer: feasible, proves nothing."""

    name: str = "greedy"

    def applies(self, part: Part) -> bool:
        return not bool(part.pinned.any())

    def solve(
        self,
        part: Part,
        params: SolveParams,
        deadline: Deadline,
        *,
        seed: int = 0,
        workers: int = 0,
    ) -> PartResult:
        del seed, workers  # one pass, linear in the part, stopped at the deadline
        return solve_greedy(part, params, deadline)


@dataclass(frozen=True)
class LnsEngine:
    """Large-neighbourhood search from the greedy plan, CP-SAT on each neighbourhood."""

    name: str = "lns"

    def applies(self, part: Part) -> bool:
        return not bool(part.pinned.any())

    def solve(
        self,
        part: Part,
        params: SolveParams,
        deadline: Deadline,
        *,
        seed: int = 0,
        workers: int = 0,
    ) -> PartResult:
        start = solve_greedy(part, params, deadline)
        return solve_lns(part, CpSatSettings(deadline, workers, seed, params), start)


@dataclass(frozen=True)
class ColGenEngine:
    """Column generation over volunteer schedules, then the restricted master and LNS
    (the parts :func:`~matchcore.engines.colgen.supports`, whatever their size)."""

    name: str = "colgen"

    def applies(self, part: Part) -> bool:
        return colgen.supports(part)

    def solve(
        self,
        part: Part,
        params: SolveParams,
        deadline: Deadline,
        *,
        seed: int = 0,
        workers: int = 0,
    ) -> PartResult:
        start = solve_greedy(part, params, deadline)
        return colgen.solve_colgen(part, CpSatSettings(deadline, workers, seed, params), start)


ENGINES: tuple[Engine, ...] = (
    FlowEngine(),
    CpSatEngine(),
    GreedyEngine(),
    LnsEngine(),
    ColGenEngine(),
)
"""Every engine, for the case table and for callers who pick one by name."""
