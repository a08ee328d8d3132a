"""``GET /v1/schema/problem.json`` and ``/v1/schema/solution.json``: the published JSON Schema."""

from __future__ import annotations

from flask import Blueprint, Response

from matchcore.io.schema import schema_text

bp = Blueprint("schema", __name__, url_prefix="/v1/schema")

SCHEMA_JSON = "application/schema+json"


@bp.get("/problem.json")
def problem_schema() -> Response:
    """The JSON Schema (2020-12) of a v1 problem, as shipped in the package."""
    return Response(schema_text("problem"), mimetype=SCHEMA_JSON)


@bp.get("/solution.json")
def solution_schema() -> Response:
    """The JSON Schema (2020-12) of a solution."""
    return Response(schema_text("solution"), mimetype=SCHEMA_JSON)
