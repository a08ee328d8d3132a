"""Groups: self-help groups, parents' networks and coaching rounds (issue 10).

A group meets in fixed sessions at one place; it opens only with enough
participants and exactly ``facilitators_needed`` facilitators (volunteers).
The package has its own candidates and funnel (:mod:`.candidates`), the
joint CP-SAT model of groups with the task parts that share a facilitator
(:mod:`.model`), the coordinator's "nearest group with room" plan it starts
from and falls back on (:mod:`.greedy`), and the explained outcome (:mod:`.outcome`). The task
pipeline calls :func:`matchcore.groups.model.solve_with_groups` in one place.
"""
