"""GET /v1/zorgpad and a problem with a directory posted to /v1/match (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import AppFactory
from service_testlib import AUTH_A

DIRECTORY = [
    {"id": "s1", "name": "Schuldhulp", "organization": "Gemeente Heerlen",
     "themes": ["schulden"], "municipalities": ["Heerlen", "Landgraaf"]},
    {"id": "s2", "name": "Leefstijlcoach", "themes": ["leefstijl"],
     "municipalities": ["Heerlen"], "location": {"lat": 50.888, "lon": 5.979}},
]  # fmt: skip


def _app_with_directory(make_app: AppFactory, tmp_path: Path, data: Any = DIRECTORY) -> Any:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return make_app(DIRECTORY=str(path)).test_client()


def test_zorgpad_lists_services_per_theme_and_municipality(
    make_app: AppFactory, tmp_path: Path
) -> None:
    client = _app_with_directory(make_app, tmp_path)
    resp = client.get("/v1/zorgpad", headers=AUTH_A)
    assert resp.status_code == 200
    rows = {(r["theme"], r["municipality"]): r["services"] for r in resp.json["zorgpad"]}
    assert [s["service_id"] for s in rows["schulden", "Landgraaf"]] == ["s1"]
    assert rows["leefstijl", "Landgraaf"] == []  # a gap, shown as such
    one = client.get("/v1/zorgpad?municipality=heerlen&theme=Schulden", headers=AUTH_A)
    assert [(r["theme"], r["municipality"]) for r in one.json["zorgpad"]] == [
        ("schulden", "Heerlen")
    ]


def test_zorgpad_needs_a_key_a_directory_and_sane_parameters(
    make_app: AppFactory, tmp_path: Path
) -> None:
    client = _app_with_directory(make_app, tmp_path)
    assert client.get("/v1/zorgpad").status_code == 401
    bad = client.get("/v1/zorgpad?theme=", headers=AUTH_A)
    assert bad.status_code == 400 and bad.json["errors"][0]["parameter"] == "theme"
    none = make_app().test_client().get("/v1/zorgpad", headers=AUTH_A)
    assert none.status_code == 404 and "directory" in none.json["detail"]
    broken = _app_with_directory(make_app, tmp_path / "broken", data=[{"id": 1}])
    resp = broken.get("/v1/zorgpad", headers=AUTH_A)
    assert resp.status_code == 503 and "1" not in resp.json["detail"]


def test_match_with_an_inline_directory_returns_referrals_and_signals(
    client: Any, problem: dict[str, Any]
) -> None:
    problem["requests"].append(
        {"id": "r3", "location": {"lat": 50.889, "lon": 5.98}, "duration_minutes": 60,
         "themes": ["schulden"], "municipality": "Heerlen", "refer_only": True}
    )  # fmt: skip
    problem["directory"] = DIRECTORY
    resp = client.post("/v1/match", json=problem, headers=AUTH_A)
    assert resp.status_code == 200, resp.json
    (referred,) = [u for u in resp.json["unassigned"] if u["request_id"] == "r3"]
    assert referred["reason"] == "referred"
    assert [r["service_id"] for r in referred["referrals"]] == ["s1"]
    assert set(resp.json["signals"]) >= {"unmet", "recruit", "near_misses", "zorgpad_gaps"}
    problem["directory"] = [{"id": "s1"}]
    bad = client.post("/v1/match", json=problem, headers=AUTH_A)
    assert bad.status_code == 422
    assert bad.json["errors"][0]["pointer"] == "/directory/0/name"


def _network_with_groups() -> dict[str, Any]:
    session = {"start": "2026-03-03T19:00:00+01:00", "end": "2026-03-03T21:00:00+01:00"}
    return {
        "volunteers": [
            {"id": "v1", "location": {"lat": 50.889, "lon": 5.98}, "skills": ["Schulden"]},
        ],
        "requests": [
            {
                "id": "r1",
                "location": {"lat": 50.888, "lon": 5.979},
                "duration_minutes": 30,
                "municipality": "Heerlen",
                "themes": ["schulden"],
            }
        ],
        "groups": [
            {
                "id": "g-heerlen",
                "topic": "schulden",
                "location": {"lat": 50.887, "lon": 5.98},
                "sessions": [session],
                "max_participants": 8,
            },
            {
                "id": "g-rouw",
                "topic": "Rouw",
                "location": {"lat": 50.887, "lon": 5.98},
                "sessions": [session],
                "max_participants": 8,
            },
        ],
        "participants": [{"id": "p1", "location": {"lat": 50.88, "lon": 5.98}, "topics": ["rouw"]}],
    }


def test_posting_a_network_adds_its_volunteers_and_groups_as_informal_help(
    make_app: AppFactory, tmp_path: Path
) -> None:
    client = _app_with_directory(make_app, tmp_path)
    network = _network_with_groups()
    resp = client.post("/v1/zorgpad?municipality=Heerlen", json=network, headers=AUTH_A)
    assert resp.status_code == 200, resp.json
    rows = {r["theme"]: r for r in resp.json["zorgpad"]}
    assert rows["schulden"]["informal"] == {
        "volunteer_ids": ["v1"],
        "group_ids": ["g-heerlen"],
        "reach": "municipality",
    }
    assert [s["service_id"] for s in rows["schulden"]["services"]] == ["s1"]
    # a group's topic is a theme of the zorgpad: no service for it, a group in reach
    assert rows["Rouw"]["services"] == [] and rows["Rouw"]["informal"]["group_ids"] == ["g-rouw"]
    # the problem's own directory comes first; GET never shows informal help
    network["directory"] = [{"id": "own", "name": "Eigen", "themes": ["rouw"],
                             "municipalities": ["Heerlen"]}]  # fmt: skip
    own = client.post("/v1/zorgpad?theme=rouw", json=network, headers=AUTH_A).json["zorgpad"]
    assert [(r["municipality"], [s["service_id"] for s in r["services"]]) for r in own] == [
        ("Heerlen", ["own"])
    ]
    assert all("informal" not in r for r in client.get("/v1/zorgpad", headers=AUTH_A).json[
        "zorgpad"])  # fmt: skip


def test_posting_a_network_is_checked_like_any_problem(make_app: AppFactory) -> None:
    client = make_app().test_client()
    network = _network_with_groups()
    assert client.post("/v1/zorgpad", json=network).status_code == 401
    none = client.post("/v1/zorgpad", json=network, headers=AUTH_A)
    assert none.status_code == 404 and "/v1/zorgpad" in none.json["detail"]
    network["groups"][0]["max_participants"] = 0
    bad = client.post("/v1/zorgpad", json=network, headers=AUTH_A)
    assert bad.status_code == 422
    assert bad.json["errors"][0]["pointer"] == "/groups/0/max_participants"
    text = client.post("/v1/zorgpad", data="x", headers=AUTH_A, content_type="text/plain")
    assert text.status_code == 415
    param = client.post("/v1/zorgpad?theme=%20", json=network, headers=AUTH_A)
    assert param.status_code == 400 and param.json["errors"][0]["parameter"] == "theme"
