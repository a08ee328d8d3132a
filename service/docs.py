"""``/openapi.json`` and ``/docs``: the API document and a browsable page rendering it.

The page is rendered on the server from the same document: no JavaScript, no
CDN, one inline style allowed by its hash in a strict Content-Security-Policy.
Descriptions are CommonMark in OpenAPI; the page renders the inline part the
document uses (`code` and **strong**) after escaping everything.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html import escape
from typing import Any

from flask import Blueprint, Response, jsonify

from service.openapi import build_document
from service.state import state

bp = Blueprint("docs", __name__)

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1b1b1b}
h1,h2,h3{line-height:1.2}h2{margin-top:2.5rem;border-bottom:2px solid #ddd}
code,pre{font:13px/1.4 ui-monospace,monospace;background:#f4f4f4}
pre{padding:.75rem;overflow:auto;max-height:30rem}
.op{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:4.5rem;font-weight:bold;text-transform:uppercase}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.25rem .5rem;
text-align:left;vertical-align:top}nav a{margin-right:1rem}
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
DOCS_CSP = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)


_CODE_SPAN = re.compile(r"`([^`]+)`")
_STRONG = re.compile(r"\*\*([^*]+)\*\*")


def inline_markdown(text: str) -> str:
    """``text`` as HTML: escaped first, then `code` and **strong** spans made tags.

    Escaping comes first, so whatever the text holds stays text; only the
    backtick and double-asterisk markers turn into ``<code>`` and ``<strong>``.
    """
    html = escape(text)
    html = _CODE_SPAN.sub(r"<code>\1</code>", html)
    return _STRONG.sub(r"<strong>\1</strong>", html)


def _document() -> dict[str, Any]:
    st = state()
    if st.openapi is None:
        st.openapi = build_document(st.settings)
    return st.openapi


@bp.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(_document())


@bp.get("/docs")
def docs() -> Response:
    html = _render(_document())
    resp = Response(html, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = DOCS_CSP
    return resp


def _render(doc: dict[str, Any]) -> str:
    info = doc["info"]
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(info['title'])} API</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(info['title'])} API <small>v{escape(info['version'])}</small></h1>",
        f"<p>{inline_markdown(info['description'])}</p>",
        "<nav><a href='#endpoints'>Endpoints</a><a href='#schemas'>Schemas</a>"
        "<a href='/openapi.json'>openapi.json</a></nav>",
        "<h2 id='endpoints'>Endpoints</h2>",
        "<p>Every <code>/v1</code> endpoint needs <code>Authorization: Bearer &lt;key&gt;"
        "</code>. Errors are <code>application/problem+json</code>.</p>",
    ]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            out.append(
                _render_operation(
                    path, method, op, item.get("parameters", []), doc["components"]["responses"]
                )
            )
    out.append("<h2 id='schemas'>Schemas</h2>")
    for name, schema in doc["components"]["schemas"].items():
        out.append(_render_schema(name, schema))
    out.append("</body></html>")
    return "".join(out)


def _render_operation(
    path: str,
    method: str,
    op: dict[str, Any],
    shared: list[Any],
    responses: dict[str, Any],
) -> str:
    parts = [
        f"<div class='op' id='{escape(op['operationId'])}'>",
        f"<h3><span class='m'>{escape(method)}</span> <code>{escape(path)}</code></h3>",
        f"<p><b>{inline_markdown(op.get('summary', ''))}</b></p>",
    ]
    if op.get("description"):
        parts.append(f"<p>{inline_markdown(op['description'])}</p>")
    if op.get("security") == []:
        parts.append("<p>No API key needed.</p>")
    params = [*shared, *op.get("parameters", [])]
    if params:
        parts.append("<p>Parameters: ")
        parts.append(
            ", ".join(
                f"<code>{escape(p['name'])}</code> ({escape(p['in'])}, "
                f"{escape(str(p['schema'].get('type', '')))})"
                for p in params
            )
        )
        parts.append("</p>")
    body = op.get("requestBody")
    if body:
        media = body["content"]["application/json"]
        parts.append(f"<p>Body: {_schema_link(media['schema'])} (application/json)</p>")
        if "example" in media:
            parts.append(
                f"<details><summary>Example body</summary>{_pre(media['example'])}</details>"
            )
    parts.append("<table><tr><th>Status</th><th>Meaning</th></tr>")
    for code, resp in op["responses"].items():
        if "$ref" in resp:
            name = resp["$ref"].rsplit("/", 1)[-1]
            meaning = inline_markdown(responses[name]["description"]) + (
                " <a href='#schema-ProblemDetails'>ProblemDetails</a>"
            )
        else:
            meaning = inline_markdown(resp.get("description", ""))
            for media in resp.get("content", {}).values():
                meaning += " " + _schema_link(media["schema"])
        parts.append(f"<tr><td>{escape(code)}</td><td>{meaning}</td></tr>")
    parts.append("</table></div>")
    return "".join(parts)


def _schema_link(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"<a href='#schema-{escape(name)}'>{escape(name)}</a>"
    if "anyOf" in schema:
        return " or ".join(_schema_link(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return "list of " + _schema_link(schema.get("items", {}))
    return f"<code>{escape(json.dumps(schema.get('type', 'any')))}</code>"


def _render_schema(name: str, schema: dict[str, Any]) -> str:
    parts = [f"<h3 id='schema-{escape(name)}'>{escape(name)}</h3>"]
    if schema.get("description"):
        parts.append(f"<p>{inline_markdown(schema['description'])}</p>")
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    if props:
        parts.append("<table><tr><th>Field</th><th>Type</th><th>Rules</th></tr>")
        for prop, sub in props.items():
            rules = {
                k: v
                for k, v in sub.items()
                if k not in ("$ref", "type", "description", "items", "anyOf", "properties")
            }
            rule_text = escape(", ".join(f"{k}: {json.dumps(v)}" for k, v in rules.items()))
            if sub.get("description"):
                rule_text = (rule_text + ". " if rule_text else "") + inline_markdown(
                    sub["description"]
                )
            flag = " <b>(required)</b>" if prop in required else ""
            parts.append(
                f"<tr><td><code>{escape(prop)}</code>{flag}</td><td>{_schema_link(sub)}</td>"
                f"<td>{rule_text}</td></tr>"
            )
        parts.append("</table>")
    if schema.get("additionalProperties") is False:
        parts.append("<p>No other fields are allowed.</p>")
    return "".join(parts)


def _pre(value: Any) -> str:
    return f"<pre>{escape(json.dumps(value, indent=2))}</pre>"
