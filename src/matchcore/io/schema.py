"""The published JSON Schema (2020-12) of the problem and the solution.

The two documents ship in the package (``matchcore/schema/*.json``), are
served by the service at ``/v1/schema/problem.json`` and
``/v1/schema/solution.json``, and are the source of the OpenAPI document's
problem and solution components (:func:`openapi_components`), so there is one
description of the format.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_NAMES = ("problem", "solution")


@cache
def _load(name: str) -> str:
    if name not in SCHEMA_NAMES:
        raise KeyError(name)
    return resources.files("matchcore").joinpath(f"schema/{name}.json").read_text("utf-8")


def schema_text(name: str) -> str:
    """The schema ``problem`` or ``solution`` as the JSON text that ships."""
    return _load(name)


def schema(name: str) -> dict[str, Any]:
    """The schema ``problem`` or ``solution`` as a fresh dict."""
    doc: dict[str, Any] = json.loads(_load(name))
    return doc


def openapi_components() -> dict[str, Any]:
    """Both schemas as OpenAPI 3.1 components: ``Problem``, ``Solution`` and their ``$defs``.

    References ``#/$defs/X`` become ``#/components/schemas/X``.
    """
    out: dict[str, Any] = {}
    for name in SCHEMA_NAMES:
        doc = schema(name)
        defs = doc.pop("$defs", {})
        for key in ("$schema", "$id"):
            doc.pop(key, None)
        out.update({k: _rewrite(v) for k, v in defs.items()})
        out[name.capitalize()] = _rewrite(doc)
    return out


def _rewrite(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (v.replace("#/$defs/", "#/components/schemas/") if k == "$ref" else _rewrite(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite(v) for v in node]
    return copy.copy(node)
