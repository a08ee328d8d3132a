"""matchcore: match volunteers to help requests in informal care networks.

All open requests are assigned at once, as a constraint optimisation problem
over distance, skills and availability; every unserved request gets a reason.

>>> import matchcore
>>> problem = matchcore.Problem.from_json(text)          # doctest: +SKIP
>>> solution = matchcore.solve(problem, time_limit_s=10)  # doctest: +SKIP
>>> matchcore.check(problem, solution).ok                 # doctest: +SKIP
True
"""

from matchcore.check import CheckReport, Violation, check
from matchcore.errors import ProblemError
from matchcore.io import read_problem, read_problem_file
from matchcore.problem import (
    Group,
    Location,
    Options,
    Participant,
    PinnedAssignment,
    Problem,
    Request,
    TimeWindow,
    TravelMode,
    TravelOptions,
    Volunteer,
)
from matchcore.solution import (
    AssignedVolunteer,
    Assignment,
    Funnel,
    GroupPlan,
    GroupReason,
    Objective,
    Reason,
    Solution,
    Stats,
    Status,
    Unassigned,
)
from matchcore.tasks.solve import candidate_funnels, solve

__version__ = "0.1.0"

__all__ = [
    "AssignedVolunteer",
    "Assignment",
    "CheckReport",
    "Funnel",
    "Group",
    "GroupPlan",
    "GroupReason",
    "Location",
    "Objective",
    "Options",
    "Participant",
    "PinnedAssignment",
    "Problem",
    "ProblemError",
    "Reason",
    "Request",
    "Solution",
    "Stats",
    "Status",
    "TimeWindow",
    "TravelMode",
    "TravelOptions",
    "Unassigned",
    "Violation",
    "Volunteer",
    "candidate_funnels",
    "check",
    "read_problem",
    "read_problem_file",
    "solve",
]
