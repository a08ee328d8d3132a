"""Pinned commitments: checked against the candidates, and asked about afterwards.

:func:`check_pins` marks the candidate pairs that pins fix, or raises a
:class:`~matchcore.errors.ProblemError` naming the pin that cannot hold.

:class:`PinCheck` answers, for a request left out for ``capacity``, whether
the pins alone leave it no way to be served (then its reason is
``not_available``: an existing commitment makes a volunteer unavailable).
It indexes the pairs by request once, answers at once when the request
shares no volunteer with a pin (always, when there are no pins), and runs a
tiny CP-SAT model otherwise, with time drawn from the solve's deadline.
After the deadline the question stays open (``None``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from matchcore.engines.cpsat import CpSatSettings, can_serve
from matchcore.errors import ProblemError
from matchcore.explain import pin_error
from matchcore.params import DEFAULT_PARAMS, Deadline, SolveParams
from matchcore.problem import Problem, floor_minute
from matchcore.tasks.arrays import TaskArrays
from matchcore.tasks.candidates import Candidates
from matchcore.tasks.parts import make_part
from matchcore.tasks.roles import roles_of_team

I64 = NDArray[np.int64]


def check_pins(problem: Problem, cand: Candidates, arrays: TaskArrays) -> TaskArrays:
    """``arrays`` with ``pin_pair`` set for ``cand``.

    Raises
    ------
    ProblemError
        When a pinned volunteer is no candidate for the pinned request, or
        cannot be there at the pinned start.
    """
    n_v = max(arrays.n_v, 1)
    pin_pair = np.zeros(cand.n_pairs, dtype=bool)
    keys = cand.req * n_v + cand.vol
    for i, pin in enumerate(problem.assignments):
        r = problem.request_index[pin.request_id]
        for k, vid in enumerate(pin.volunteer_ids):
            v = problem.volunteer_index[vid]
            p = int(np.searchsorted(keys, r * n_v + v))
            if p >= keys.size or keys[p] != r * n_v + v:
                raise pin_error(problem, i, k, r, v)
            pin_pair[p] = True
            if pin.start is not None:
                minute = floor_minute(pin.start)
                if not any(lo <= minute <= hi for lo, hi in cand.starts(p)):
                    raise ProblemError(
                        ("assignments", i, "start"),
                        f"volunteer_ids[{k}] cannot be there at this start "
                        "(availability with travel)",
                    )
        req = problem.requests[r]
        team = [problem.volunteers[problem.volunteer_index[vid]] for vid in pin.volunteer_ids]
        if req.roles and roles_of_team(req, team) is None:
            raise ProblemError(
                ("assignments", i, "volunteer_ids"),
                "cannot fill the request's roles: each role needs exactly its count "
                "of these volunteers with its skills and languages",
            )
    return arrays.with_pins(pin_pair)


class PinCheck:
    """Whether pins alone keep a request out; one instance per solve.

    Parameters
    ----------
    cand, arrays
        The final candidate graph and its arrays (with ``pin_pair``).
    deadline
        Every check draws from it, each at most
        ``params.schedule.pin_check_max_s``.
    """

    def __init__(
        self,
        cand: Candidates,
        arrays: TaskArrays,
        deadline: Deadline,
        params: SolveParams = DEFAULT_PARAMS,
    ) -> None:
        self.cand, self.arrays, self.deadline, self.params = cand, arrays, deadline, params
        self.pins = np.flatnonzero(arrays.pin_pair) if arrays.pin_pair.size else np.zeros(0, int)
        self.pinned_vol = np.zeros(max(arrays.n_v, 1), dtype=bool)
        self.pinned_vol[cand.vol[self.pins]] = True
        # Pairs are sorted by request: one search gives every request's range.
        self.ptr = np.searchsorted(cand.req, np.arange(arrays.n_r + 1))
        self.unchecked = 0

    def take_it(self, r: int) -> bool | None:
        """True when pins alone leave request ``r`` no way to be served, False when
        they do not, None when that was not settled before the deadline.

        Every funnel stage passed, so without pins ``r`` could be served on its
        own; only when its candidates share volunteers with pins can the pins
        take the times it could fit, and a small model of ``r`` and the pins says.
        """
        if self.pins.size == 0:
            return False
        mine = np.arange(self.ptr[r], self.ptr[r + 1])
        if not self.pinned_vol[self.cand.vol[mine]].any():
            return False
        if self.deadline.expired():
            self.unchecked += 1
            return None
        pairs = np.union1d(mine, self.pins)  # sorted by index: by request, then volunteer
        part = make_part(self.cand, self.arrays, pairs)
        local = int(np.searchsorted(part.requests, r))
        settings = CpSatSettings(
            self.deadline.cap(self.params.schedule.pin_check_max_s), params=self.params
        )
        served = can_serve(part, local, settings)
        if served is None:
            self.unchecked += 1
            return None
        return not served
