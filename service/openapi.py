"""The OpenAPI 3.1 document of the service.

The problem and solution schemas are the published JSON Schema of
``matchcore`` (:mod:`matchcore.io.schema`, also served at
``/v1/schema/problem.json`` and ``/v1/schema/solution.json``), with the
service's own tighter bounds laid over them (:func:`_service_bounds`). JSON
Schema cannot say everything the format requires (unique ids, references to
known ids, ``end`` after ``start``, a duration that fits its window): those are
checked by the service and answered 422 with a
JSON pointer. The configured limits (sizes, time-limit cap, rate limit) are
filled in from the running app's settings.
"""

from __future__ import annotations

import copy
from typing import Any

from matchcore import Reason, Status
from matchcore.explain import REASON_GLOSS
from matchcore.io.schema import openapi_components
from service.config import Settings
from service.core import (
    INT32_MAX,
    INT32_MIN,
    MAX_DETOUR_FACTOR,
    MAX_DURATION_MINUTES,
    MAX_MINUTES,
    MAX_PRIORITY,
    MAX_SPEED_KMH,
    MAX_TASKS,
    MAX_VOLUNTEERS_NEEDED,
    MIN_SPEED_KMH,
)
from service.zorgpad import MAX_PARAMETER_CHARS

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_ID = {"type": "string", "minLength": 1, "pattern": r"\S", "description": "Non-blank string."}
_IDS = {"type": "array", "items": _ID}
_DATETIME = {
    "type": "string",
    "format": "date-time",
    "description": "ISO-8601 date-time **with** a UTC offset, e.g. 2026-03-02T09:00:00+01:00; "
    "between 1970-01-01 and 2200-01-01 (UTC).",
}
_COUNT = {"type": "integer", "minimum": 0}

# Reason codes and their wording come from the library: its enum and its one gloss table.
_STATUSES = [status.value for status in Status]
_FUNNEL_STAGES = [reason.value for reason in Reason if reason is not Reason.CAPACITY]

EXAMPLE_PROBLEM: dict[str, Any] = {
    "volunteers": [
        {
            "id": "vol-anna",
            "location": {"lat": 50.8514, "lon": 5.6910},
            "skills": ["driving", "shopping"],
            "languages": ["nl", "en"],
            "travel_mode": "car",
            "max_distance_km": 15,
            "availability": [
                {"start": "2030-03-04T08:00:00+01:00", "end": "2030-03-04T17:00:00+01:00"}
            ],
            "max_tasks": 3,
        },
        {
            "id": "vol-ben",
            "location": {"lat": 50.8880, "lon": 5.9790},
            "skills": ["visit"],
            "languages": ["nl"],
            "travel_mode": "bike",
        },
    ],
    "requests": [
        {
            "id": "req-1",
            "client_id": "client-7",
            "location": {"lat": 50.8600, "lon": 5.7000},
            "skills": ["driving"],
            "duration_minutes": 90,
            "window": {"start": "2030-03-04T09:00:00+01:00", "end": "2030-03-04T12:00:00+01:00"},
            "priority": 2,
        },
        {
            "id": "req-2",
            "location": {"lat": 50.8900, "lon": 5.9800},
            "skills": ["visit"],
            "languages": ["nl"],
            "duration_minutes": 60,
            "preferred_volunteers": ["vol-ben"],
        },
    ],
    "options": {"time_limit_seconds": 5},
}

EXAMPLE_SOLUTION: dict[str, Any] = {
    "status": "optimal",
    "assignments": [
        {
            "request_id": "req-1",
            "volunteer_ids": ["vol-anna"],
            "start": "2030-03-04T09:00:00+01:00",
            "end": "2030-03-04T10:30:00+01:00",
            "volunteers": [
                {"id": "vol-anna", "distance_km": 1.146, "travel_minutes": 3, "preferred": False}
            ],
            "pinned": False,
            "explanation": "One way 1.1 km (3 min).",
        },
        {
            "request_id": "req-2",
            "volunteer_ids": ["vol-ben"],
            "volunteers": [
                {"id": "vol-ben", "distance_km": 0.233, "travel_minutes": 2, "preferred": True}
            ],
            "pinned": False,
            "explanation": "Preferred volunteer; one way 0.2 km (2 min).",
        },
    ],
    "unassigned": [],
    "objective": {
        "served_requests": 2,
        "served_priority": 3.0,
        "continuity": 1,
        "travel_km": 2.759,
    },
    "bound": 3.0,
    "stats": {
        "wall_seconds": 0.0025,
        "candidate_pairs": 2,
        "parts": 2,
        "engines": {"min-cost-flow": 2},
        "phases": {"candidates": 0.0009, "solve": 0.0005, "explain": 0.0002},
    },
}

_SCHEMAS: dict[str, Any] = {
    # The problem and the solution come from the published JSON Schema (below).
    # -- validate_only and check ---------------------------------------------------------
    "RequestFunnel": {
        "type": "object",
        "required": ["request_id", "volunteers_needed", "funnel", "blocked_at"],
        "properties": {
            "request_id": {"type": "string"},
            "volunteers_needed": {"type": "integer", "minimum": 1},
            "funnel": _ref("Funnel"),
            "blocked_at": {
                "description": "First stage leaving fewer than volunteers_needed; null when "
                "enough volunteers pass every stage.",
                "anyOf": [
                    {"type": "string", "enum": _FUNNEL_STAGES},
                    {"type": "null"},
                ],
            },
        },
    },
    "ValidationReport": {
        "type": "object",
        "required": ["valid", "volunteers", "requests", "pinned", "funnels"],
        "properties": {
            "valid": {"type": "boolean", "const": True},
            "volunteers": _COUNT,
            "requests": _COUNT,
            "pinned": _COUNT,
            "funnels": {"type": "array", "items": _ref("RequestFunnel")},
        },
    },
    "PlannedAssignment": {
        "type": "object",
        "description": "Only request_id, volunteer_ids and start are read; other fields of a "
        "solution's assignment may be present.",
        "required": ["request_id", "volunteer_ids"],
        "properties": {
            "request_id": _ID,
            "volunteer_ids": _IDS,
            "start": {"anyOf": [_DATETIME, {"type": "null"}]},
        },
    },
    "PlanToCheck": {
        "type": "object",
        "description": "A solution document (a whole Solution works). When `objective` or "
        "`unassigned` are given they are checked too. A field no solution has (a problem's "
        "`volunteers`, say) is answered 422.",
        "required": ["assignments"],
        "additionalProperties": False,
        "properties": {
            "status": {"type": "string", "enum": _STATUSES},
            "bound": {"type": "number"},
            "stats": {"type": "object"},
            "warnings": {"type": "array", "description": "Informative; not checked."},
            "signals": {"type": "object", "description": "Informative; not checked."},
            "assignments": {"type": "array", "items": _ref("PlannedAssignment")},
            "objective": {
                "type": ["object", "null"],
                "description": "When given, its values must match the plan.",
                "properties": {
                    "served_requests": {"type": "integer"},
                    "continuity": {"type": "integer"},
                    "served_priority": {"type": "number"},
                    "travel_km": {"type": "number"},
                },
            },
            "unassigned": {
                "type": ["array", "null"],
                "description": "When given, it must list exactly the requests not served.",
                "items": {
                    "type": "object",
                    "required": ["request_id"],
                    "properties": {"request_id": _ID},
                },
            },
        },
    },
    "CheckInput": {
        "type": "object",
        "required": ["problem", "solution"],
        "additionalProperties": False,
        "properties": {"problem": _ref("Problem"), "solution": _ref("PlanToCheck")},
    },
    "Violation": {
        "type": "object",
        "required": ["pointer", "path", "rule", "message"],
        "properties": {
            "pointer": {"type": "string", "description": "JSON pointer into the request body."},
            "path": {"type": "string", "description": "The same place, dotted."},
            "rule": {"type": "string"},
            "message": {"type": "string"},
        },
    },
    "CheckReport": {
        "type": "object",
        "required": ["ok", "violations", "objective"],
        "properties": {
            "ok": {"type": "boolean"},
            "violations": {"type": "array", "items": _ref("Violation")},
            "objective": _ref("Objective"),
        },
    },
    # -- jobs and errors ---------------------------------------------------------------------
    "Job": {
        "type": "object",
        "required": [
            "id",
            "status",
            "created_at",
            "updated_at",
            "volunteers",
            "requests",
            "time_limit_seconds",
            "progress",
        ],
        "properties": {
            "id": {"type": "string"},
            "status": {
                "type": "string",
                "enum": ["queued", "running", "done", "failed", "cancelled"],
            },
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "started_at": {"type": "string", "format": "date-time"},
            "finished_at": {"type": "string", "format": "date-time"},
            "volunteers": _COUNT,
            "requests": _COUNT,
            "time_limit_seconds": {"type": "number", "exclusiveMinimum": 0},
            "progress": {"type": "string"},
            "solution": _ref("Solution"),
            "error": _ref("ProblemDetails"),
        },
    },
    "ProblemDetails": {
        "type": "object",
        "description": "RFC 9457 problem details. Texts never repeat values from the request.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "format": "uri"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "request_id": {"type": "string"},
            "max_body_bytes": {
                "type": "integer",
                "minimum": 0,
                "description": "On a 413 for a body too large: the limit, in bytes.",
            },
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {
                        "pointer": {"type": "string", "description": "RFC 6901 JSON pointer."},
                        "parameter": {"type": "string"},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    },
    # -- zorgpad ---------------------------------------------------------------------
    "ZorgpadService": {
        "type": "object",
        "required": ["service_id", "name", "organization", "contact", "wait_weeks"],
        "properties": {
            "service_id": {"type": "string"},
            "name": {"type": "string"},
            "organization": {"type": "string"},
            "contact": {"type": "string"},
            "wait_weeks": {"type": ["number", "null"]},
        },
    },
    "ZorgpadRow": {
        "type": "object",
        "required": ["theme", "municipality", "services"],
        "properties": {
            "theme": {"type": "string"},
            "municipality": {"type": "string"},
            "services": {
                "type": "array",
                "items": _ref("ZorgpadService"),
                "description": "Professional services fitting the theme that name the "
                "municipality as a service area; empty: a gap in the zorgpad.",
            },
            "informal": {
                "type": "object",
                "description": "Only with a network problem (POST): its volunteers with a "
                "skill named as the theme and its groups on that topic; `reach` "
                "`municipality` when the problem has requests there (then only those in "
                "reach of one), else `network`.",
                "required": ["volunteer_ids", "group_ids", "reach"],
                "properties": {
                    "volunteer_ids": _IDS,
                    "group_ids": _IDS,
                    "reach": {"type": "string", "enum": ["municipality", "network"]},
                },
            },
        },
    },
    "Zorgpad": {
        "type": "object",
        "required": ["zorgpad"],
        "properties": {"zorgpad": {"type": "array", "items": _ref("ZorgpadRow")}},
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "ready"]},
            "checks": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
}


def _problem(description: str, *headers: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref("ProblemDetails")}},
    }
    if headers:
        out["headers"] = {h: {"$ref": f"#/components/headers/{h}"} for h in headers}
    return out


_RESPONSES: dict[str, Any] = {
    "BadRequest": _problem("Not JSON, or a bad query parameter."),
    "Unauthorized": _problem("Missing or invalid API key.", "WWW-Authenticate"),
    "NotFound": _problem("No such job for this API key."),
    "TooLarge": _problem("Body or number of volunteers/requests over the limit."),
    "UnsupportedMediaType": _problem("The body is not sent as application/json."),
    "Unprocessable": _problem(
        "The document breaks the v1 format or a hard rule; `errors` names each place by "
        "JSON pointer."
    ),
    "TooManyRequests": _problem("Over the per-key rate limit or job quota.", "Retry-After"),
    "Unavailable": _problem(
        "Solver slots busy, a solve over its time budget, or an unexpected error (logged "
        "by request id). Retry later.",
        "Retry-After",
    ),
}


def _responses(ok: dict[str, Any], *errors: str) -> dict[str, Any]:
    codes = {
        "400": "BadRequest",
        "401": "Unauthorized",
        "404": "NotFound",
        "413": "TooLarge",
        "415": "UnsupportedMediaType",
        "422": "Unprocessable",
        "429": "TooManyRequests",
        "503": "Unavailable",
    }
    out = dict(ok)
    for code in errors:
        out[code] = {"$ref": f"#/components/responses/{codes[code]}"}
    return out


def _json_body(schema: str, example: Any | None = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": _ref(schema)}
    if example is not None:
        media["example"] = example
    return {"required": True, "content": {"application/json": media}}


def _ok(description: str, schema: str, example: Any | None = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": _ref(schema)}
    if example is not None:
        media["example"] = example
    return {"description": description, "content": {"application/json": media}}


_BODY_ERRORS = ("400", "401", "413", "415", "422", "429", "503")


def _with_reason_glosses(schemas: dict[str, Any]) -> dict[str, Any]:
    """The published schema with each reason's gloss, from the library's one table."""
    glosses = "; ".join(f"`{reason.value}`: {REASON_GLOSS[reason]['en']}" for reason in Reason)
    schemas["Unassigned"]["properties"]["reason"]["description"] = (
        f"Why it was not served. {glosses}."
    )
    return schemas


def _service_bounds(schemas: dict[str, Any]) -> dict[str, Any]:
    """The published schema with the bounds this service adds (``service.core``)."""

    def props(name: str) -> dict[str, Any]:
        found: dict[str, Any] = schemas[name]["properties"]
        return found

    props("Options")["seed"].update(minimum=INT32_MIN, maximum=INT32_MAX)
    for mode in ("walk", "bike", "car", "transit"):
        props("TravelOptions")["speeds_kmh"]["properties"][mode].update(
            minimum=MIN_SPEED_KMH, maximum=MAX_SPEED_KMH
        )
    props("TravelOptions")["detour_factor"]["maximum"] = MAX_DETOUR_FACTOR
    props("Volunteer")["max_tasks"]["maximum"] = MAX_TASKS
    props("Volunteer")["max_minutes"]["maximum"] = MAX_MINUTES
    props("HelpRequest")["duration_minutes"]["maximum"] = MAX_DURATION_MINUTES
    props("HelpRequest")["volunteers_needed"]["maximum"] = MAX_VOLUNTEERS_NEEDED
    props("HelpRequest")["priority"]["maximum"] = MAX_PRIORITY
    return schemas


def build_document(settings: Settings) -> dict[str, Any]:
    """The OpenAPI document, with this server's limits in the descriptions."""
    s = settings
    limits = (
        f"Limits of this server: body {s.max_body_bytes} bytes, {s.max_volunteers} "
        f"volunteers and {s.max_requests} requests, time limit capped at "
        f"{s.time_limit_cap_s:g} s; larger problems go to `POST /v1/jobs`."
    )
    job_limits = (
        f"Limits: body {s.job_max_body_bytes} bytes, {s.job_max_volunteers} volunteers and "
        f"{s.job_max_requests} requests, time limit capped at {s.job_time_limit_cap_s:g} s, "
        f"{s.job_max_active_per_key} queued or running jobs per key; finished jobs are erased "
        f"after {s.job_retention_hours:g} hours."
    )
    job_id_param = {
        "name": "job_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"},
    }
    lang_param = {
        "name": "lang",
        "in": "query",
        "required": False,
        "description": "Language of an HTML report (default: Accept-Language, else nl).",
        "schema": {"type": "string", "enum": ["nl", "en"]},
    }
    zorgpad_params = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": f"Only this {name} (case-insensitive); listed even when nothing "
            "is known for it.",
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_PARAMETER_CHARS,
                "pattern": r"\S",
            },
        }
        for name in ("municipality", "theme")
    ]
    paths: dict[str, Any] = {
        "/v1/match": {
            "post": {
                "operationId": "match",
                "summary": "Match all requests at once (or only validate)",
                "description": "Body: a v1 problem. Answer: a v1 solution, within the time "
                "limit plus a small margin. With `validate_only=true` the problem is only "
                "checked and each request's candidate funnel reported, without solving. With "
                "`Accept: text/html` the answer is the plan's report page (see getJobReport), in "
                "the language of Accept-Language (nl or en; else nl). " + limits,
                "parameters": [
                    {
                        "name": "validate_only",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "boolean", "default": False},
                    },
                ],
                "requestBody": _json_body("Problem", EXAMPLE_PROBLEM),
                "responses": _responses(
                    {
                        "200": {
                            "description": "The plan (or, with validate_only, the funnels).",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "anyOf": [_ref("Solution"), _ref("ValidationReport")]
                                    },
                                    "example": EXAMPLE_SOLUTION,
                                },
                                "text/html": {"schema": {"type": "string"}},
                            },
                        }
                    },
                    *_BODY_ERRORS,
                ),
            }
        },
        "/v1/check": {
            "post": {
                "operationId": "check",
                "summary": "Check a plan against its problem",
                "description": "Every hard rule of format v1 is checked independently of the "
                "solver; the objective is recomputed. " + limits,
                "requestBody": _json_body(
                    "CheckInput", {"problem": EXAMPLE_PROBLEM, "solution": EXAMPLE_SOLUTION}
                ),
                "responses": _responses(
                    {"200": _ok("Violations (none when ok) and the objective.", "CheckReport")},
                    *_BODY_ERRORS,
                ),
            }
        },
        "/v1/jobs": {
            "post": {
                "operationId": "createJob",
                "summary": "Queue a problem as a job",
                "description": "For problems too large for a synchronous call. The problem is "
                "validated at once (422), then queued; poll the Location. " + job_limits,
                "requestBody": _json_body("Problem", EXAMPLE_PROBLEM),
                "responses": _responses(
                    {
                        "202": {
                            "description": "Queued.",
                            "headers": {
                                "Location": {
                                    "description": "/v1/jobs/{id}",
                                    "required": True,
                                    "schema": {"type": "string"},
                                }
                            },
                            "content": {"application/json": {"schema": _ref("Job")}},
                            "links": {
                                "GetJob": {
                                    "operationId": "getJob",
                                    "parameters": {"job_id": "$response.body#/id"},
                                },
                                "DeleteJob": {
                                    "operationId": "deleteJob",
                                    "parameters": {"job_id": "$response.body#/id"},
                                },
                            },
                        }
                    },
                    *_BODY_ERRORS,
                ),
            }
        },
        "/v1/jobs/{job_id}": {
            "parameters": [job_id_param],
            "get": {
                "operationId": "getJob",
                "summary": "Status, progress and, when done, the solution",
                "description": "A job of another API key is answered 404, like an unknown one.",
                "responses": _responses(
                    {"200": _ok("The job.", "Job")}, "401", "404", "429", "503"
                ),
            },
            "delete": {
                "operationId": "deleteJob",
                "summary": "Cancel a job, or erase a finished one",
                "description": "A queued or running job becomes `cancelled` (its problem is "
                "erased; a running solve's result is discarded) and reads back as cancelled "
                "until retention removes it. A finished job is erased at once.",
                "responses": _responses(
                    {"204": {"description": "Cancelled or erased."}}, "401", "404", "429", "503"
                ),
            },
        },
        **{
            f"/v1/schema/{name}.json": {
                "get": {
                    "operationId": f"{name}Schema",
                    "summary": f"The JSON Schema (2020-12) of a {name}",
                    "description": "The schema that ships in the matchcore package; the "
                    f"{name.capitalize()} component of this document is built from it.",
                    "responses": _responses(
                        {
                            "200": {
                                "description": "The schema.",
                                "content": {
                                    "application/schema+json": {"schema": {"type": "object"}}
                                },
                            }
                        },
                        "401",
                        "429",
                        "503",
                    ),
                }
            }
            for name in ("problem", "solution")
        },
        "/v1/jobs/{job_id}/report": {
            "parameters": [job_id_param, lang_param],
            "get": {
                "operationId": "getJobReport",
                "summary": "The plan of a finished job as one offline HTML page",
                "description": "A map, charts, the unserved with their reasons and each "
                "volunteer's week, printable one page per volunteer. The page loads nothing: "
                "its Content-Security-Policy admits only its own style and script. Kept as "
                "long as the job. Language: `lang`, else Accept-Language, else Dutch.",
                "responses": _responses(
                    {
                        "200": {
                            "description": "The report page.",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        },
                        "409": _problem("The job is not done (yet): it has no report."),
                    },
                    "400",
                    "401",
                    "404",
                    "429",
                    "503",
                ),
            },
        },
        "/v1/zorgpad": {
            "parameters": zorgpad_params,
            "get": {
                "operationId": "getZorgpad",
                "summary": "Per theme and municipality, which professional help exists",
                "description": "The zorgpad of this server's directory of services (the "
                "`DIRECTORY` setting or MATCHCORE_DIRECTORY): per theme and municipality the "
                "services that fit; an empty `services` list is a gap. 404 when this server "
                "has no directory.",
                "responses": _responses(
                    {"200": _ok("The zorgpad, sorted by theme and municipality.", "Zorgpad")},
                    "400",
                    "401",
                    "404",
                    "429",
                    "503",
                ),
            },
            "post": {
                "operationId": "postZorgpad",
                "summary": "The zorgpad with a network's informal help",
                "description": "Body: a v1 problem. The zorgpad of its own `directory` (else "
                "this server's; 404 when neither has one), with each row's `informal` help: "
                "the network's volunteers with a skill named as the theme and its groups on "
                "that topic; the topics of its groups are themes too. Nothing is solved. " + limits,
                "requestBody": _json_body("Problem", EXAMPLE_PROBLEM),
                "responses": _responses(
                    {"200": _ok("The zorgpad with informal help.", "Zorgpad")},
                    *_BODY_ERRORS,
                    "404",
                ),
            },
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 document of this server.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/docs": {
            "get": {
                "operationId": "docs",
                "summary": "This document as one self-contained HTML page",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The page; it loads nothing from elsewhere.",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "Liveness",
                "security": [],
                "responses": {"200": _ok("The process answers.", "Health")},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "readyz",
                "summary": "Readiness: the database answers and a tiny problem solves",
                "security": [],
                "responses": {
                    "200": _ok("Ready.", "Health"),
                    "503": {"$ref": "#/components/responses/Unavailable"},
                },
            }
        },
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "matchcore",
            "version": API_VERSION,
            "summary": "Match volunteers to help requests in informal care networks.",
            "description": "All open requests are assigned at once over distance, skills and "
            "availability; every request not served gets a truthful reason. Payloads are "
            "personal data of vulnerable people: use TLS, keep keys secret. Errors are "
            "RFC 9457 problem documents and never repeat values from the request.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Authorization: Bearer <key>. Keys are issued by the "
                    "operator (MATCHCORE_API_KEYS).",
                }
            },
            "headers": {
                "WWW-Authenticate": {"schema": {"type": "string"}},
                "Retry-After": {
                    "description": "Seconds to wait.",
                    "schema": {"type": "integer", "minimum": 0},
                },
            },
            "responses": copy.deepcopy(_RESPONSES),
            "schemas": {
                **_with_reason_glosses(_service_bounds(openapi_components())),
                **copy.deepcopy(_SCHEMAS),
            },
        },
    }
