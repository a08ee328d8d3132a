"""Referral to professional services, zorgpaden and the network's signals.

* :mod:`matchcore.refer.directory`: a directory of services (Open Referral
  HSDS 3.0 JSON or CSV, or the native form);
* :mod:`matchcore.refer.referral`: which services fit a request, ranked;
* :mod:`matchcore.refer.zorgpad`: per theme and municipality, which help exists;
* :mod:`matchcore.refer.signals`: unmet needs, recruitment, near misses, gaps;
* :func:`annotate`: the one entry point that adds referrals and signals to a plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from matchcore.refer.directory import (
    Directory,
    DirectoryError,
    Service,
    load_directory,
    read_directory,
)

if TYPE_CHECKING:
    from matchcore.refer.advise import annotate, solve_and_annotate


def __getattr__(name: str) -> Any:
    # The advice imports the solver, which imports this package: load it late.
    if name in ("annotate", "solve_and_annotate"):
        from matchcore.refer import advise

        return getattr(advise, name)
    raise AttributeError(name)


__all__ = [
    "Directory",
    "DirectoryError",
    "Service",
    "annotate",
    "load_directory",
    "read_directory",
    "solve_and_annotate",
]
