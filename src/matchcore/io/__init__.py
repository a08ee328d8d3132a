"""Data in and out: the one JSON reader, the v1 problem format, local time,
recurring availability, spreadsheets and the published JSON Schema."""

from matchcore.io.json_text import load_json
from matchcore.io.problem_json import (
    problem_from_dict,
    problem_to_dict,
    read_problem,
    read_problem_file,
)

__all__ = [
    "load_json",
    "problem_from_dict",
    "problem_to_dict",
    "read_problem",
    "read_problem_file",
]
