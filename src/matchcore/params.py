"""Every tuning constant of a solve, in one documented place, and the one deadline.

:class:`SolveParams` groups the constants by the step that reads them
(candidates, pricing, scheduling of parts, each engine). The defaults are
the measured ones (see ``benchmarks/README.md``); a caller who wants other
values builds a new frozen instance with :func:`dataclasses.replace`::

    params = dataclasses.replace(DEFAULT_PARAMS, lns=LnsParams(start_size=20))

None of these constants changes what a plan *means*: they steer speed,
memory and how time is shared, never the hard rules or the objective.

:class:`Deadline` is the one clock of a solve. It is made once from
``time_limit_s`` when ``solve`` is called and passed along; every step that
needs time (an engine, a pin check, the last-resort plan of pins alone)
draws it from that deadline, so no fixed budget can push a solve past its
limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CandidateParams:
    """How candidate pairs are made (:mod:`matchcore.tasks.candidates`)."""

    dense_cells: int = 4_000_000
    """Dense distance matrices below this many request x volunteer cells; a chunked grid above."""
    prune_above_pairs: int = 20_000_000
    """Prune to the nearest pairs per request only above this many valid pairs (memory bound)."""
    keep_nearest: int = 50
    """Valid pairs each request keeps when pruning (its preferred and pinned pairs on top)."""
    chunk_pairs: int = 4_000_000
    """Pairs fetched from the grid per chunk of volunteers (bounds the working memory)."""
    row_km: float = 2.0
    """Height of a latitude row of the request grid, km."""
    dist_bins: int = 64
    """Distance classes of the running per-request histogram that finds the nearest pairs."""
    max_groups: int = 64
    """Request skill sets grouped in the grid; with more, one group holds every request."""


@dataclass(frozen=True)
class PricingParams:
    """How a pruned graph is proven for the full graph (:mod:`matchcore.tasks.pricing`)."""

    max_rounds: int = 4
    """Flow solves at most (the first one included)."""
    add_per_request: int = 10
    """Pairs that price out added back per request and round, most negative first."""
    bf_max_iterations: int = 3_000
    """Bellman-Ford passes before the potentials are given up as unsettled."""
    cost_headroom: tuple[int, ...] = (4, 256)
    """How far inside int64 arc costs times OR-Tools' scaling factor stay (tried in turn)."""
    flow_seconds_per_arc: float = 4e-5
    """Time of one round (OR-Tools flow solve, potentials and pricing) per arc of the
    pricing network with costs in metres, before the first round has been measured
    (measured: 2M arcs, 58 s flow + 14 s the rest, 2 cores at load 4.4; the solve
    cannot be stopped once started, so a round starts only when its estimate fits)."""
    coarse_flow_factors: tuple[float, float] = (1.0, 0.3)
    """Time of a round with travel in whole km, and with priority alone, against one
    in metres (measured on a quarter of the L budgets family: 58 s, 40 s, 12.5 s of
    flow; on the L family itself 188 s in metres, about 200 s in km, 48-55 s for
    priority alone: whole km gain nothing there, so they are estimated as metres).
    When a round in metres does not fit the deadline, the first of these that fits is
    taken: the bound stays proven, the plan's continuity and travel only approximate;
    the time then left buys a plan from the finest costs that fit."""
    budget_minutes: bool = False
    """In the flow of priority alone, let each pair arc cost the minutes it takes from a
    minute budget (task plus travel both ways; nothing for a volunteer without one), a
    level below priority. Priority alone has many optimal flows; this one picks among
    them the flow that leans least on budgets, so that repair drops far fewer tasks
    (budgets-capped instances solved exactly: the plan's gap to the optimum went from
    1.4-4.2% to 0.15-0.64%; on the L family 278,768 priority against 272,107). The bound
    on priority is the same. Off by default: on the L family that flow took 451 s
    against the 300 s limit (load 5.4; priority alone: about 50-100 s), and a flow
    cannot be stopped (benchmarks/README.md, 2026-11-30 evening, w5-big)."""
    budget_weight: int = 1_000
    """A plan flow beside the bound's (0: none): priority alone with each pair arc also
    costing the minutes it takes from a minute budget (as ``budget_minutes``), but at
    this many budget minutes per priority unit rather than a level below priority. Not
    lexicographic (it may serve a little less priority in the relaxation), so it makes a
    plan only, never a bound; repaired, it is kept when it is better on the objective's
    levels. On the L budgets family 279,007 priority against 272,107 without (proven
    bound 280,346), inside the 300 s limit. Run when ``budget_flow_factor`` times the
    measured priority flow, with ``round_margin``, fits the time left."""
    budget_nearest: int = 20
    """The ``budget_weight`` flow keeps only each request's this many nearest pairs of
    the pricing network (0: all; at least as many as the request needs): a plan flow
    may drop pairs, and fewer arcs solve faster."""
    budget_flow_factor: float = 1.8
    """Time of the ``budget_weight`` plan flow against the measured flow of priority
    alone on the same network, with ``budget_nearest`` 20 (measured, repair of its plan
    included: 96 s against a 61 s priority flow on the L budgets family, 1.8x on a
    1.1M-pair region of it; benchmarks/README.md, 2026-11-30 late, w5-big2)."""
    round_margin: float = 1.3
    """A further round starts only when this many times the last round's measured time
    (flow, potentials and pricing) is left before the deadline; the first round only
    when this many times its estimate is (a flow solve cannot stop)."""


@dataclass(frozen=True)
class ScheduleParams:
    """Which engine solves a part and where (:mod:`matchcore.tasks.solve`)."""

    relaxed_flow_from_pairs: int = 50_000
    """Parts this large take the flow relaxation rather than the exact CP-SAT model."""
    hint_from_pairs: int = 2_000
    """CP-SAT parts at least this large start from the greedy plan."""
    parallel_part_pairs: int = 20_000
    """Solve in worker processes only when two or more parts are at least this large."""
    parallel_cpsat_workers: int = 4
    """CP-SAT search workers per part when parts run in parallel processes."""
    min_part_s: float = 0.5
    """Least time a part's search gets (if that much is left), however small its
    share: starting CP-SAT's workers alone takes tens of milliseconds."""
    pin_check_max_s: float = 5.0
    """Most time one pin check may take (a tiny model); always within the deadline."""
    explain_share: float = 0.05
    """Share of the time left after candidates kept back from the engines for what
    follows them (canonical starts, pin checks, assembly)..."""
    explain_per_request_s: float = 2e-4
    """...or this much per request, when that is more: assembly is linear in the
    requests (measured: about 0.15 s per 1,000 requests on a 2-core machine under load)."""
    pins_only_share: float = 0.1
    """Share of what is left that the last-resort plan of the pins alone may use."""


@dataclass(frozen=True)
class CpSatParams:
    """The exact CP-SAT engine (:mod:`matchcore.engines.cpsat`)."""

    default_workers: int = 8
    """Search workers when ``Options.workers`` is 0: CP-SAT's portfolio needs several
    workers to prove bounds, even on 2 cores."""
    quick_deterministic_s: float = 0.5
    """Deterministic time (CP-SAT's own work units) of the single-worker search that
    runs before the portfolio (:func:`matchcore.engines.cpsat.run_search`); 0 turns it
    off. Most parts of a network are proven within it."""
    light_quick_below_vars: int = 5_000
    """Models with fewer variables than this get a light quick pass: one round of
    presolve, no probing or symmetry search, the full linear relaxation and a search
    led by the LP (:func:`matchcore.engines.cpsat.lighten`). On the network family's
    parts (400-1,000 variables) it proves the optimum with about a quarter of the CPU
    of CP-SAT's defaults, half of which went to presolve and probing; larger models
    keep the defaults. 0 turns it off."""
    first_stage_share: float = 0.8
    """Share of the time the first stage may use when the objective needs two stages."""
    polish_deterministic_s: float = 5.0
    """Deterministic time (CP-SAT's own work units) of the search for canonical start
    times, when the fixed order cannot place them (see :mod:`matchcore.tasks.starts`)."""


@dataclass(frozen=True)
class LnsParams:
    """Large-neighbourhood search (:mod:`matchcore.engines.lns`)."""

    from_timed_pairs: int = 2_000
    """Parts from this many timed pairs go to LNS (exact CP-SAT stalls there)."""
    from_pairs: int = 100_000
    """Parts from this many pairs of any kind go to LNS."""
    start_size: int = 12
    """Neighbourhood size in volunteers at the start."""
    min_size: int = 3
    """Smallest neighbourhood size in volunteers."""
    max_size: int = 200
    """Largest neighbourhood size in volunteers."""
    max_pairs: int = 3_000
    """Most free pairs in one neighbourhood."""
    start_sub_limit: float = 0.5
    """Time limit of one neighbourhood's solve at the start, seconds."""
    min_sub_limit: float = 0.2
    """Smallest time limit of one neighbourhood's solve, seconds."""
    max_sub_limit: float = 5.0
    """Largest time limit of one neighbourhood's solve, seconds."""
    bound_share: float = 0.2
    """Share of the part's time that the bound (relaxations) may use."""
    reserve_s: float = 0.1
    """Time kept back at the end of the search, seconds."""
    setup_seconds_per_pair: float = 2e-6
    """The search's set-up (per-volunteer and per-pair arrays) per pair of the part:
    with less time than this (plus one neighbourhood) left after the start plan,
    the start plan is the answer (measured 1.1e-6 at a 2.7M-pair part, load 6)."""
    unserved_seed: float = 0.75
    """How often a neighbourhood's seed is an unserved request (when there are any)."""
    seed_power: float = 1.0
    """Unserved seeds are drawn with probability proportional to priority to this power."""
    spans: tuple[int, ...] = (60, 120, 180, 360)
    """Half-widths (minutes) of the time span around the seed's window, drawn from these."""
    whole_week: float = 0.15
    """Share of neighbourhoods without a time span (task and minute limits link days)."""
    empty_tries: int = 200
    """Consecutive empty neighbourhoods after which the search gives up."""
    sub_workers: int = 1
    """CP-SAT workers per neighbourhood."""
    eject_share: float = 0.8
    """Share of the part's time the ejection repair (:mod:`matchcore.engines.eject`)
    may use on the start plan before the search (all of it when the rest would
    not give the search twice its set-up); 0 turns it off. It stops early
    when a pass gains nothing. On a 2.7M-pair national part: +2.0% served
    priority in 30 s, where the search gained 0.07%."""
    eject_depth: int = 2
    """How many tasks deep one ejection move may push (2: the task moved out of
    the way may itself move one task)."""
    eject_options: int = 8
    """Candidates per request the ejection repair tries, preferred then nearest first."""


@dataclass(frozen=True)
class GreedyParams:
    """The greedy engine (:mod:`matchcore.engines.greedy`)."""

    team_start_tries: int = 64
    """Candidate start minutes a team request tries before giving up."""


@dataclass(frozen=True)
class RelaxationParams:
    """Bounds on served priority (:mod:`matchcore.engines.relaxation`)."""

    flow_max_items: int = 150_000
    """Above this many items the flow bound is skipped when time is short."""
    flow_seconds_per_item: float = 1.5e-5
    """Time of the flow relaxation per item: with a deadline, the flow is solved only
    when the time left covers this (it cannot be stopped; 113k items took 1.1-1.6 s
    at load ~2, and a 1 s deadline was overrun by 1.2 s before this guard)."""
    long_block_counts: tuple[int, ...] = (1,)
    """Counting rows per window: at most q blocks longer than a (q+1)-th of it."""
    lp_share: float = 0.9
    """Share of the bound's time budget that the LP (PDLP) may use."""
    seconds_per_pair: float = 4e-6
    """Time to build the relaxations' items and rows, per pair (measured, loaded
    machine): with less time than this left, only the trivial bound is given."""
    pdlp_seconds_per_item: float = 1e-5
    """Least time PDLP needs per item to reach useful duals: with less, the
    multipliers come from the subgradient method instead. Measured on the
    largest parts of national timed proxies (1 core, load ~2): 27k items
    converge in 0.25 s (0.1 s: worse than the trivial bound), 113k items in
    about 1 s (0.5 s: worse than the trivial bound); 2.77M items (the 2.7M-pair
    part of 20,000 x 80,000) reach 115,278 of a trivial 120,556 in 35 s. Given
    the same time, PDLP was never worse than the subgradient method, which on
    parts with many candidates per request (38 there, 48 on a 167k-pair
    Westhoek part) does not get below the trivial bound at all: ``L`` is
    degenerate at ``u = 0`` (every request has many free pairs), and no step
    along a subgradient descends. Where it descends (10-26 candidates per
    request) it closes half the gap to the LP in 30-60 iterations."""
    pdlp_setup_seconds_per_item: float = 2e-6
    """PDLP's set-up (the programme built and copied) per item, outside its own
    time limit: 5.6 s of a 35 s limit at 2.77M items (load ~2). PDLP runs after
    the subgradient method only when the time left covers this."""
    subgradient_iterations: int = 400
    """Most iterations of the subgradient method (it stops earlier at its deadline)."""
    subgradient_step: float = 1.0
    """First Polyak step factor; halved after ``subgradient_patience`` iterations
    without a smaller ``L(u)`` (measured 0.25-2 on a 113k-item part: 1 best at 20-60
    iterations)."""
    subgradient_deflection: float = 1.5
    """Camerini-Fratta-Maffioli deflection: when the subgradient g and the last
    direction d point more than 90 degrees apart, the direction is g plus
    ``-factor * (g.d) / (d.d)`` times d (0: the plain subgradient). On the
    113k-item part 1.5 gave 17,877 at 20 iterations and 17,002 at 60, against
    18,253 and 17,115 undeflected (LP 16,748)."""
    subgradient_patience: int = 3
    """Iterations without progress before the step factor is halved."""
    subgradient_min_step: float = 1e-6
    """The method stops when its step factor falls below this (some 60 iterations
    without progress): on dense parts it does not leave ``u = 0`` (see
    ``pdlp_seconds_per_item``) and the time is better left to the caller."""
    subgradient_target: float = 0.3
    """The Polyak target: this share below the best ``L(u)`` so far (0.1-0.5 tried;
    0.3 best at 20-60 iterations on the 113k-item part)."""


@dataclass(frozen=True)
class ColGenParams:
    """Column generation over volunteer schedules (:mod:`matchcore.engines.colgen`)."""

    enabled: bool = True
    """Whether large all-timed parts go to column generation at all."""
    from_timed_pairs: int = 20_000
    """Parts with this many pairs or more, all timed, no pins and nothing to keep, go
    to column generation (below it the LNS alone does as well: measured on the
    benchmark's S and N families, where the exact model or LNS proves or nearly
    proves the optimum, and the pricing programme's fixed cost does not pay)."""
    grid_minutes: int = 1
    """Grid of the pricing programme in minutes (a relaxation for any grid; at most
    the shortest block): coarser is faster, 1 is exact up to repeated requests
    (never twice in a row). A finer grid makes columns that keep their value
    when re-timed exactly: on the timed M family's scarce part the master's LP
    value rose 7,461 -> 7,493 and the bound fell 7,587 -> 7,565 from a 5-minute
    grid to the finest one within ``max_events`` (2026-11-30)."""
    max_events: int = 8_000_000
    """On larger parts the grid grows in steps of ``grid_minutes`` until the
    programme has at most this many (slot, grid point) events, and
    ``min_rounds`` rounds of them fit the time at ``seconds_per_event`` (or the
    grid reaches ``max_grid_minutes``): fewer, faster rounds are worth more than
    a finer grid when time is short."""
    max_grid_minutes: int = 15
    """The coarsest grid the programme may take."""
    columns_per_window: int = 3
    """Extra columns per window and round: the best ones that begin with each of
    the window's most valuable first slots (they speed up convergence)."""
    generation_share: float = 0.7
    """Share of the part's time for the rounds of master and pricing (the bound)."""
    master_share: float = 0.4
    """Share of what is left then for the integer master over the columns; the LNS
    gets the rest."""
    master_min_s: float = 3.0
    """The integer master is skipped with less time left than this (building its
    model is not interruptible)."""
    master_max_columns: int = 20_000
    """Most columns in the integer master: the start plan's and those of largest LP value."""
    min_round_s: float = 0.5
    """No new round with less time than this left in the generation share."""
    lp_method: str = "pdlp"
    """The master LP's solver: ``"pdlp"`` (OR-Tools' first-order PDLP, warm-started
    from the last round; approximate duals, which the bound allows) or ``"highs"``
    (HiGHS simplex through scipy: exact, but slow on these degenerate LPs)."""
    lp_round_s: float = 1.5
    """Most time one master LP may take."""
    final_grid_minutes: int = 1
    """Grid of one last pricing at the final duals, for a tighter bound (1: exact
    timing; only the slots of positive value enter it)."""
    final_max_events: int = 15_000_000
    """That last pricing takes the finest grid (from ``final_grid_minutes``, finer
    than the rounds') with at most this many (slot, grid point) events (memory
    and time), and is skipped when there is none."""
    seconds_per_event: float = 1e-6
    """Time the pricing programme takes per (slot, grid point) event, set-up and one
    round together (measured on 2 cores under load average 10-15; about a
    quarter of it on an idle machine)."""
    seconds_per_cell: float = 2.5e-7
    """Time the pricing programme takes per cell of its tables (grid point x
    window), beside its events: it walks every grid point of the longest window
    for all windows at once, so week-long windows cost time even with few slots
    (measured 40-110 ns per cell on an idle machine, 2026-11-30)."""
    max_table_mb: float = 400.0
    """Most memory one pricing programme's tables may take (28 bytes per grid
    point and window: a week-long window on a 1-minute grid is 280 kB, so 5,000
    of them 1.4 GB). The grid grows until they fit; when even the coarsest
    does not, the LNS alone searches."""
    min_rounds: int = 3
    """Column generation starts only when the generation share of the part's
    time covers this many rounds of pricing; else the LNS alone searches."""
    round_margin: float = 1.3
    """A new round's pricing starts only when this many times the last one's
    measured time is left in the generation share (a pricing cannot stop)."""
    bound_stall: float = 0.001
    """The rounds stop once a round lowers the bound by at most this share of
    it: then the dive's time gains the plan more than more rounds gain the
    bound (the scarce M part: 7,618 -> 7,614 -> 7,609 in rounds 9-11). A
    bound within 2% of the LP value was tried instead and stopped the smaller
    scarce part at round 6 (bound 4,099; 4,066 after 9 rounds) (2026-11-30)."""
    fill_reserve: float = 0.0
    """The last, finer pricing leaves this many greedy passes' time (measured on
    the part at the start) to the rounding and its greedy fill. Off: with 1-2 the
    pipeline at load 4-5 skipped the scarce M part's last pricing (bound 7,591-7,657
    against ~7,570 with it) for a plan no larger (2026-11-30)."""
    dive_share: float = 0.85
    """Share of the time left after rounding (less one more greedy fill) for
    the price-and-dive (:func:`matchcore.engines.colgen.dive`); 0 switches it
    off. The integer master and the LNS share the rest."""
    dive_fix: float = 0.9
    """The dive fixes every column the LP takes at least this much of..."""
    dive_step: float = 0.1
    """...and this share of the fractional ones, largest first, per step
    (the scarce M part, 45 s: plan 7,303 with 0.25, 7,328-7,335 with 0.1)."""
    dive_pricing: bool = True
    """Whether each dive step prices new columns for what is still open."""
    final_margin: float = 0.6
    """The last pricing starts only when this many times its time predicted from
    the rounds' own measured pricing (set-up and programme, scaled by events
    and cells) fits its share, ``1 - master_share`` of the time left: with 0.6
    that is when it ends before the part's deadline (a pricing cannot stop;
    the plan's steps after it can). The prediction is itself an upper bound
    (3.64 s predicted for 3.13 s taken on the scarce M part at load 5). 1.0
    (within its share) skipped it under load where main's code ran it, and
    main's trade of bound for plan time was the measured one (2026-11-30)."""


@dataclass(frozen=True)
class SolveParams:
    """Every tuning constant of :func:`matchcore.solve`, grouped by the step that reads it."""

    candidates: CandidateParams = field(default_factory=CandidateParams)
    pricing: PricingParams = field(default_factory=PricingParams)
    schedule: ScheduleParams = field(default_factory=ScheduleParams)
    cpsat: CpSatParams = field(default_factory=CpSatParams)
    lns: LnsParams = field(default_factory=LnsParams)
    greedy: GreedyParams = field(default_factory=GreedyParams)
    relaxation: RelaxationParams = field(default_factory=RelaxationParams)
    colgen: ColGenParams = field(default_factory=ColGenParams)


DEFAULT_PARAMS = SolveParams()
"""The measured defaults."""


class Deadline:
    """The one clock of a solve: a moment on the monotonic clock.

    Within a process it reads :func:`time.monotonic` (immune to clock
    changes). Pickled for a worker process it travels as an *absolute* wall
    time (:func:`time.time`) and is re-anchored on the receiving side's
    monotonic clock, so a part solved elsewhere stops at the same moment as
    one solved here, however long it waited in a queue.

    Parameters
    ----------
    at
        The moment, in :func:`time.monotonic` seconds.
    """

    __slots__ = ("_at",)

    def __init__(self, at: float) -> None:
        self._at = at

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """The deadline ``seconds`` from now."""
        return cls(time.monotonic() + seconds)

    @classmethod
    def at_wall_time(cls, wall: float) -> Deadline:
        """The deadline at the absolute wall time ``wall`` (:func:`time.time`)."""
        return cls(time.monotonic() + (wall - time.time()))

    @property
    def wall_time(self) -> float:
        """This deadline as an absolute wall time (:func:`time.time` seconds)."""
        return time.time() + (self._at - time.monotonic())

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(self._at - time.monotonic(), 0.0)

    def expired(self) -> bool:
        """Whether no time is left."""
        return time.monotonic() >= self._at

    def share(self, fraction: float) -> Deadline:
        """A deadline ``fraction`` of the remaining time from now (never later than this one)."""
        now = time.monotonic()
        left = max(self._at - now, 0.0)
        return Deadline(now + left * min(max(fraction, 0.0), 1.0))

    def cap(self, seconds: float) -> Deadline:
        """The earlier of this deadline and ``seconds`` from now."""
        return Deadline(min(self._at, time.monotonic() + max(seconds, 0.0)))

    def __reduce__(self) -> tuple[object, tuple[float]]:
        return (Deadline.at_wall_time, (self.wall_time,))

    def __repr__(self) -> str:
        return f"Deadline(remaining={self.remaining():.3f}s)"
