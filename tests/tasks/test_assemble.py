"""assemble: reasons and details that say what holds, pin checks within the deadline."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from matchcore import Problem, Reason, check, solve
from matchcore.params import Deadline
from matchcore.tasks import pins as pins_mod
from matchcore.tasks.arrays import NO_START
from matchcore.tasks.assemble import assemble_pairs
from matchcore.tasks.pins import PinCheck
from matchcore.tasks.solve import prepare

T9, T12 = "2026-03-02T09:00:00+01:00", "2026-03-02T12:00:00+01:00"


def _problem(vol: dict[str, Any], **req: Any) -> Problem:
    return Problem.from_dict(
        {
            "volunteers": [{"id": "v1", "location": {"lat": 50.85, "lon": 2.88}, **vol}],
            "requests": [
                {
                    "id": "r1",
                    "location": {"lat": 50.855, "lon": 2.88},
                    "duration_minutes": 60,
                    **req,
                }
            ],
        }
    )


@pytest.mark.parametrize(
    ("vol", "req", "says", "not_says"),
    [
        ({"max_tasks": 0}, {}, "1 has no task to give (max_tasks 0)", "max_minutes"),
        ({"max_minutes": 30}, {}, "too few minutes left for it", "max_tasks"),
        (
            {"availability": [{"start": T9, "end": "2026-03-02T09:30:00+01:00"}]},
            {"window": {"start": T9, "end": T12}},
            "0 can fit it in the window",
            "max_",
        ),
    ],
)
def test_not_available_names_the_limit_that_keeps_a_volunteer_out(
    vol: dict[str, Any], req: dict[str, Any], says: str, not_says: str
) -> None:
    problem = _problem(vol, **req)
    solution = solve(problem, time_limit_s=5)
    (unserved,) = solution.unassigned
    assert unserved.reason is Reason.NOT_AVAILABLE
    assert says in unserved.detail and not_says not in unserved.detail
    assert "v1" not in unserved.detail and "50.8" not in unserved.detail


def test_stats_name_parts_as_the_readme_does() -> None:
    solution = solve(_problem({}), time_limit_s=5)
    stats = solution.to_dict()["stats"]
    assert stats["parts"] == solution.stats.parts == 1
    assert "components" not in stats


def _contended(pinned: bool) -> Problem:
    """Two timed requests, one volunteer free for one of them only; r1 pinned or not."""
    doc: dict[str, Any] = {
        "volunteers": [
            {
                "id": "v1",
                "location": {"lat": 50.85, "lon": 2.88},
                "availability": [{"start": T9, "end": "2026-03-02T10:30:00+01:00"}],
            }
        ],
        "requests": [
            {
                "id": rid,
                "location": {"lat": 50.855, "lon": 2.88},
                "duration_minutes": 60,
                "priority": prio,
                "window": {"start": T9, "end": T12},
            }
            for rid, prio in (("r1", 1), ("r2", 5))
        ],
    }
    if pinned:
        doc["assignments"] = [{"request_id": "r1", "volunteer_ids": ["v1"]}]
    return Problem.from_dict(doc)


def test_without_pins_no_pin_model_is_ever_built(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object) -> bool:
        raise AssertionError("a pin check ran on a problem without pins")

    monkeypatch.setattr(pins_mod, "can_serve", forbidden)
    solution = solve(_contended(pinned=False), time_limit_s=5)
    assert [u.reason for u in solution.unassigned] == [Reason.CAPACITY]


def test_pins_that_take_every_time_make_a_request_not_available() -> None:
    problem = _contended(pinned=True)
    solution = solve(problem, time_limit_s=10)
    assert check(problem, solution).ok
    (unserved,) = solution.unassigned
    assert unserved.request_id == "r2" and unserved.reason is Reason.NOT_AVAILABLE
    assert "pinned" in unserved.detail


def test_a_pin_check_past_the_deadline_stays_capacity_and_says_so() -> None:
    problem = _contended(pinned=True)
    cand, arrays = prepare(problem)
    chosen = arrays.pin_pair.copy()  # the plan: the pin alone
    start = np.full(arrays.n_r, NO_START, dtype=np.int64)
    start[0] = int(cand.start_lo[cand.start_ptr[0]])
    late = PinCheck(cand, arrays, Deadline.after(0.0))
    solution = assemble_pairs(problem, cand, arrays, chosen, start, False, 6, late)
    (unserved,) = solution.unassigned
    assert unserved.reason is Reason.CAPACITY
    assert "not settled within the time limit" in unserved.detail
    assert late.unchecked == 1
    settled = PinCheck(cand, arrays, Deadline.after(10))
    assert settled.take_it(1) is True and settled.unchecked == 0
