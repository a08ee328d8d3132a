"""/healthz, /readyz, /openapi.json and /docs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from service_testlib import AUTH_A, assert_problem_json

import matchcore
from service import docs, health
from service.openapi import EXAMPLE_PROBLEM, EXAMPLE_SOLUTION


def test_healthz(client: FlaskClient) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_readyz_solves_a_tiny_problem(client: FlaskClient) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ready", "checks": {"database": "ok", "solver": "ok"}}


def test_readyz_is_503_when_the_solver_fails(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("solver library missing")

    monkeypatch.setattr(health, "solve", broken)
    client = make_app(READYZ_CACHE_S=0).test_client()
    body = assert_problem_json(client.get("/readyz"), 503)
    assert body["type"].endswith("/not-ready")
    assert "solver" in body["detail"]


def test_readyz_is_503_when_the_database_is_gone(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(READYZ_CACHE_S=0)
    st = app.extensions["matchcore"]

    def gone() -> None:
        raise OSError("disk")

    monkeypatch.setattr(st.store, "ping", gone)
    body = assert_problem_json(app.test_client().get("/readyz"), 503)
    assert "database" in body["detail"]


def test_readyz_result_is_cached(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = health.solve

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(health, "solve", counting)
    client = make_app(READYZ_CACHE_S=60).test_client()
    for _ in range(5):
        assert client.get("/readyz").status_code == 200
    assert len(calls) == 1


def test_openapi_document(client: FlaskClient) -> None:
    resp = client.get("/openapi.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {"/v1/match", "/v1/check", "/v1/jobs", "/v1/jobs/{job_id}",
                                 "/v1/jobs/{job_id}/report", "/v1/zorgpad",
                                 "/healthz", "/readyz", "/v1/schema/problem.json",
                                 "/v1/schema/solution.json", "/openapi.json",
                                 "/docs"}  # fmt: skip
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            if path.startswith("/v1"):
                assert "401" in op["responses"], (path, method)
                assert "security" not in op
            else:
                assert op["security"] == []
    # the limits of this server are in the descriptions
    assert "2000 volunteers" in doc["paths"]["/v1/match"]["post"]["description"]


def test_every_route_of_the_app_is_in_the_openapi_document(client: FlaskClient) -> None:
    """Each rule and method Flask serves is documented, and nothing documented is missing."""
    app = client.application
    served = {
        (re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    doc = client.get("/openapi.json").get_json()
    documented = {
        (path, method)
        for path, item in doc["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert served == documented
    assert ("/v1/zorgpad", "get") in served and ("/v1/zorgpad", "post") in served


def test_openapi_reasons_come_from_the_library(client: FlaskClient) -> None:
    from matchcore.explain import REASON_GLOSS

    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    reason = schemas["Unassigned"]["properties"]["reason"]
    assert reason["enum"] == [r.value for r in matchcore.Reason]
    for code in matchcore.Reason:  # a request's reasons (groups have their own)
        assert f"`{code.value}`: {REASON_GLOSS[code]['en']}" in reason["description"]
    (stage, _null) = schemas["RequestFunnel"]["properties"]["blocked_at"]["anyOf"]
    assert stage["enum"] == [
        r.value for r in matchcore.Reason if r is not matchcore.Reason.CAPACITY
    ]
    # the 413 answer says which member carries the limit
    assert "max_body_bytes" in schemas["ProblemDetails"]["properties"]


def test_openapi_document_is_valid_and_the_examples_conform(client: FlaskClient) -> None:
    import jsonschema_rs
    import schemathesis

    app = client.application
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    schema.validate()  # the document itself is valid OpenAPI 3.1
    doc = client.get("/openapi.json").get_json()
    components = doc["components"]["schemas"]

    def validator(name: str) -> Any:
        root = {"$defs": components, "$ref": f"#/$defs/{name}"}
        text = __import__("json").dumps(root).replace("#/components/schemas/", "#/$defs/")
        return jsonschema_rs.validator_for(__import__("json").loads(text))

    assert validator("Problem").is_valid(EXAMPLE_PROBLEM)
    assert validator("Solution").is_valid(EXAMPLE_SOLUTION)
    # and the example is what the service really answers, shape for shape
    real = client.post("/v1/match", json=EXAMPLE_PROBLEM, headers=AUTH_A).get_json()
    assert validator("Solution").is_valid(real)
    assert real["assignments"] == EXAMPLE_SOLUTION["assignments"]
    assert real["objective"]["served_requests"] == EXAMPLE_SOLUTION["objective"]["served_requests"]
    report = matchcore.check(matchcore.Problem.from_dict(EXAMPLE_PROBLEM), EXAMPLE_SOLUTION)
    assert report.ok, report.violations


def test_docs_page_is_self_contained(client: FlaskClient) -> None:
    resp = client.get("/docs")
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    for text in ("/v1/match", "/v1/jobs/{job_id}", "Problem", "Solution", "validate_only",
                 "vol-anna"):  # fmt: skip
        assert text in html
    # nothing loaded from elsewhere, no scripts
    assert "<script" not in html
    assert not re.search(r"""(src|href)=['"]https?:""", html)
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "style-src 'sha256-" in csp
    assert "script-src" not in csp
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_docs_style_hash_matches(client: FlaskClient) -> None:
    import base64
    import hashlib

    resp = client.get("/docs")
    html = resp.get_data(as_text=True)
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in resp.headers["Content-Security-Policy"]


def test_docs_render_markdown_code_and_strong(client: FlaskClient) -> None:
    html = client.get("/docs").get_data(as_text=True)
    assert "`" not in html  # no raw Markdown left
    assert "<code>POST /v1/jobs</code>" in html
    assert "<code>end</code> must be later than <code>start</code>" in html
    assert "<strong>with</strong> a UTC offset" in html
    assert "**" not in html


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("plain", "plain"),
        ("a `b` c", "a <code>b</code> c"),
        ("**x** and `y`", "<strong>x</strong> and <code>y</code>"),
        ("`<script>` & <b>", "<code>&lt;script&gt;</code> &amp; &lt;b&gt;"),
        ("one ` alone", "one ` alone"),
        ("`a` `b`", "<code>a</code> <code>b</code>"),
        ("**`code`**", "<strong><code>code</code></strong>"),
    ],
)
def test_inline_markdown_escapes_everything_first(text: str, html: str) -> None:
    assert docs.inline_markdown(text) == html
