"""``summary.md`` and ``summary.png`` from the family result files.

    python -m benchmarks.report [RESULTS_DIR]

re-renders both from ``RESULTS_DIR/*.json`` (default ``benchmarks/results``)
without running anything. Every family file comes from one harness run, so
every ratio in a row compares runs of the same invocation on the same
machine.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from benchmarks.families import SIZE_ORDER

PEER_ORDER = (
    "matchcore",
    "matchcore-lns",
    "greedy",
    "flow",
    "flow-relaxed",
    "cpsat",
    "scipy",
    "mip",
    "group-greedy",
)
COLOURS = {
    "matchcore": "tab:blue",
    "greedy": "tab:orange",
    "flow": "tab:green",
    "flow-relaxed": "tab:olive",
    "cpsat": "tab:red",
    "scipy": "tab:purple",
    "mip": "tab:brown",
    "group-greedy": "tab:pink",
    "matchcore-lns": "tab:cyan",
}


def load_results(out: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted(out.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and "family" in data and "runs" in data:
            records.append(data)
    order = {s: i for i, s in enumerate(SIZE_ORDER)}
    kind_order = {"untimed": 0, "timed": 1}
    kinds = {"single": 0, "teams": 1, "budgets": 2, "groups": 3}
    records.sort(
        key=lambda r: (
            order.get(r["size"], 99),
            r["kind"] == "groups",
            kind_order.get(r["timing"], 9),
            kinds.get(r["kind"], 9),
            r["supply"] != "ample",
            r["family"],
        )
    )
    return records


def _num(value: Any, fmt: str = "{:,.0f}") -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and math.isnan(value):
        return "—"
    return fmt.format(value)


def _phases(run: dict[str, Any]) -> str:
    phases = run.get("phases") or {}
    short = {
        "candidates": "cand",
        "candidates_load": "load",
        "solve": "solve",
        "explain": "expl",
        "build": "build",
        "assemble": "asm",
        "model_and_solve": "model+solve",
        "to_dict": "dict",
        "greedy": "greedy",
    }
    return " / ".join(f"{short.get(k, k)} {v:.2f}" for k, v in phases.items() if v >= 0.005)


def table(records: list[dict[str, Any]]) -> str:
    head = (
        "| family | pairs | peer | status | served | priority | bound | gap % | continuity "
        "| km | km/served | viol. | time s | core s | phases (s) | peak MB | time / flow "
        "| priority vs greedy | km/served vs greedy |"
    )
    lines = [head, head_rule(head)]
    for rec in records:
        if rec.get("kind") == "groups":
            continue
        pairs = (rec.get("instance") or {}).get("candidate_pairs")
        runs = sorted(rec["runs"], key=lambda r: PEER_ORDER.index(r["peer"]))
        for k, run in enumerate(runs):
            status = run["status"]
            if run.get("detail"):
                status += f" ({run['detail']})"
            time_s = _num(run.get("e2e_s"), "{:.2f}")
            if run.get("wall_runs"):
                time_s += f" (median of {len(run['wall_runs'])})"
            viol = run.get("violations")
            cells = [
                f"**{rec['family']}**" if k == 0 else "",
                _num(pairs) if k == 0 else "",
                run["peer"],
                status,
                _num(run.get("served"))
                if run.get("relaxed_served") is None
                else f"({run['relaxed_served']:,})",
                _num(run.get("priority"), "{:,.0f}")
                if run.get("relaxed_priority") is None
                else f"≤ {run['relaxed_priority']:,.0f}",
                _bound(rec) if k == 0 else "",
                _num(run.get("gap_pct"), "{:.3f}"),
                _num(run.get("continuity")),
                _num(run.get("travel_km"), "{:,.0f}"),
                _num(run.get("km_per_served"), "{:.2f}"),
                "—" if viol is None else (f"**{viol}**" if viol else "0"),
                time_s,
                _num(run.get("core_s"), "{:.2f}"),
                _phases(run),
                _num(run.get("peak_mb")),
                _num(run.get("time_vs_flow"), "{:.2f}x"),
                _num(run.get("priority_vs_greedy"), "{:.4f}"),
                _num(run.get("km_per_served_vs_greedy"), "{:.3f}"),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _bound(rec: dict[str, Any]) -> str:
    """matchcore's proven bound, and the best one when another peer's is tighter."""
    own, best = rec.get("bound_matchcore"), rec.get("bound")
    text = _num(own, "{:,.0f}")
    if best is not None and (own is None or best < own - 1e-9):
        text += f" (best {best:,.0f}, {rec.get('bound_source')})"
    return text


def group_table(records: list[dict[str, Any]]) -> str:
    """One row per (groups family, peer): what the checked plan does with the groups."""
    head = (
        "| family | peer | status | open groups | placed | priority | first choice "
        "| participant km | km/placed | facilitator km | viol. | time s | phases (s) | peak MB "
        "| placed vs greedy | km/placed vs greedy |"
    )
    lines = [head, head_rule(head)]
    for rec in records:
        if rec.get("kind") != "groups":
            continue
        runs = [r for r in rec["runs"] if r["status"] != "n/a"]
        runs.sort(key=lambda r: PEER_ORDER.index(r["peer"]))
        greedy = next((r.get("groups") for r in runs if r["peer"] == "group-greedy"), None)
        for k, run in enumerate(runs):
            g = run.get("groups") or {}
            viol = run.get("violations")
            status = run["status"] + (f" ({run['detail']})" if run.get("detail") else "")
            placed_ratio = km_ratio = None
            if greedy and g:
                placed_ratio = g["placed"] / greedy["placed"] if greedy["placed"] else None
                if greedy.get("km_per_placed") and g.get("km_per_placed"):
                    km_ratio = g["km_per_placed"] / greedy["km_per_placed"]
            cells = [
                f"**{rec['family']}**" if k == 0 else "",
                run["peer"],
                status,
                _num(g.get("open_groups")),
                _num(g.get("placed")),
                _num(run.get("priority"), "{:,.0f}"),
                _num(g.get("first_choice")),
                _num(g.get("participant_km"), "{:,.0f}"),
                _num(g.get("km_per_placed"), "{:.2f}"),
                _num(g.get("facilitator_km"), "{:,.0f}"),
                "—" if viol is None else (f"**{viol}**" if viol else "0"),
                _num(run.get("e2e_s"), "{:.2f}"),
                _phases(run),
                _num(run.get("peak_mb")),
                _num(placed_ratio, "{:.4f}"),
                _num(km_ratio, "{:.3f}"),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def head_rule(head: str) -> str:
    return "|" + "---|" * (head.count("|") - 1)


# -- targets of issue 3 ------------------------------------------------------------------


def _run(rec: dict[str, Any], peer: str) -> dict[str, Any]:
    for r in rec["runs"]:
        if r["peer"] == peer:
            return dict(r)
    return {}


def targets(records: list[dict[str, Any]]) -> list[str]:
    """Each target of issue 3, judged from the numbers in this results directory."""
    out = []
    by_size: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        by_size.setdefault(rec["size"], []).append(rec)

    for rec in [r for r in by_size.get("L", []) if r["timing"] == "untimed"]:
        mc, flow = _run(rec, "matchcore"), _run(rec, "flow")
        reference = rec.get("flow_reference") or "flow"
        parts = [f"matchcore {mc.get('status', 'not run')}"]
        if mc.get("gap_pct") is not None:
            parts.append(
                f"gap to bound {mc['gap_pct']:.4f}% (bound {_num(rec.get('bound'), '{:,.0f}')}, "
                f"{rec.get('bound_source')}; target ≤ 0.1%)"
            )
        if mc.get("time_vs_flow") is not None:
            label = (
                "flow solve"
                if reference == "flow"
                else "relaxed flow solve (teams as singles, no budgets)"
            )
            parts.append(f"time / {label} {mc['time_vs_flow']:.2f}x (target ≤ 1.5x)")
        elif flow:
            parts.append(f"flow {flow.get('status')}")
        if mc.get("peak_mb"):
            parts.append(f"peak {mc['peak_mb'] / 1024:.2f} GB (target < 4 GB)")
        if mc.get("over_promise_s") is not None:
            parts.append(
                f"solve {mc['overrun_s'] + rec['time_limit_s']:.1f} s on a "
                f"{rec['time_limit_s']:g} s limit (past limit + allowance: "
                f"{mc['over_promise_s']:+.1f} s)"
            )
        if mc.get("time_vs_flow") is not None and mc["time_vs_flow"] < 1.0:
            parts.append(f"faster than the {reference}")
        quality = mc.get("status") == "optimal" or (
            mc.get("gap_pct") is not None and mc["gap_pct"] <= 0.1
        )
        in_limit = (mc.get("over_promise_s") or 0.0) <= 0.0
        ok = (
            quality
            and in_limit
            and 0 < (mc.get("peak_mb") or 1e9) < 4096
            and mc.get("violations") == 0
        )
        if mc.get("time_vs_flow") is not None:
            ok = ok and mc["time_vs_flow"] <= 1.5
            verdict = _verdict(ok)
        elif flow.get("status") == "n/a":
            verdict = _verdict(ok) + " (quality and memory; no flow reference ran)"
        else:
            verdict = "**not measured** (no flow time)" if ok else _verdict(False)
        out.append(f"- Untimed L, {rec['family']}: {verdict}: " + "; ".join(parts))
    if "L" not in by_size:
        out.append("- Untimed L: not measured in this results directory")

    for rec in [r for r in by_size.get("M", []) if r["timing"] == "timed"]:
        mc, cp = _run(rec, "matchcore"), _run(rec, "cpsat")
        bound = rec.get("bound")
        share = (mc.get("priority") or 0) / bound if bound else None
        ok = (
            (mc.get("e2e_s") or 1e9) <= 60.0
            and share is not None
            and share >= 0.995
            and mc.get("violations") == 0
        )
        cp_text = cp.get("status", "not run")
        if cp.get("priority") is not None:
            cp_text += f", priority {cp['priority']:g}"
        out.append(
            f"- Timed M, {rec['family']}: {_verdict(ok)}: matchcore "
            f"{_num(mc.get('e2e_s'), '{:.1f}')} s (target ≤ 60 s), "
            f"priority {_num(mc.get('priority'), '{:g}')} = "
            f"{_num(None if share is None else 100 * share, '{:.2f}')}% of the bound "
            f"{_num(bound, '{:g}')} ({rec.get('bound_source')}) (target ≥ 99.5%), "
            f"violations {mc.get('violations')}; plain CP-SAT: {cp_text}"
        )
    if not [r for r in by_size.get("M", []) if r["timing"] == "timed"]:
        out.append("- Timed M: not measured in this results directory")

    for rec in by_size.get("N", []):
        mc = _run(rec, "matchcore")
        statuses = mc.get("statuses") or [mc.get("status")]
        ok = all(s == "optimal" for s in statuses) and (mc.get("e2e_s") or 1e9) < 2.0
        runs = mc.get("wall_runs") or [mc.get("wall_s")]
        out.append(
            f"- Network size, {rec['family']}: {_verdict(ok)}: statuses {statuses}, median "
            f"{_num(mc.get('e2e_s'), '{:.2f}')} s over {len(runs)} runs "
            f"({', '.join(_num(x, '{:.2f}') for x in runs)}) (target: optimal, < 2 s)"
        )

    for rec in [r for r in records if r["size"] == "S" and r["timing"] == "timed"]:
        mc, mip = _run(rec, "matchcore"), _run(rec, "mip")
        if not mip or mip.get("status") == "n/a":
            continue
        out.append(
            f"- Time-indexed MIP reference, {rec['family']}: MIP {mip.get('status')} "
            f"(priority {_num(mip.get('priority'), '{:g}')}, "
            f"bound {_num(mip.get('bound_own'), '{:g}')}, "
            f"{_num(mip.get('e2e_s'), '{:.1f}')} s); matchcore {mc.get('status')} (priority "
            f"{_num(mc.get('priority'), '{:g}')}, bound {_num(mc.get('bound_own'), '{:g}')}, "
            f"{_num(mc.get('e2e_s'), '{:.1f}')} s)"
        )

    for rec in [r for r in records if r.get("kind") == "groups"]:
        mc, gr = _run(rec, "matchcore"), _run(rec, "group-greedy")
        mg, gg = mc.get("groups") or {}, gr.get("groups") or {}
        ok = bool(mg and gg) and mg["placed"] >= gg["placed"] and mc.get("violations") == 0
        out.append(
            f"- Groups, {rec['family']}: matchcore places ≥ nearest-group greedy: {_verdict(ok)}: "
            f"matchcore {mc.get('status')} {_num(mg.get('placed'))} placed in "
            f"{_num(mg.get('open_groups'))} groups, priority {_num(mc.get('priority'), '{:g}')}, "
            f"{_num(mc.get('e2e_s'), '{:.1f}')} s; greedy {_num(gg.get('placed'))} placed in "
            f"{_num(gg.get('open_groups'))} groups, priority {_num(gr.get('priority'), '{:g}')}, "
            f"{_num(gr.get('e2e_s'), '{:.2f}')} s"
        )

    worse, longer, shorter, compared = [], [], 0, 0
    for rec in records:
        if rec.get("kind") == "groups":
            continue
        mc, gr = _run(rec, "matchcore"), _run(rec, "greedy")
        if mc.get("priority") is None or gr.get("priority") is None:
            continue
        compared += 1
        if mc["priority"] < gr["priority"] - 1e-9:
            worse.append(f"{rec['family']} ({mc['priority']:g} < {gr['priority']:g})")
        ratio = mc.get("km_per_served_vs_greedy")
        if ratio is not None and ratio > 1.0 + 1e-9:
            longer.append(f"{rec['family']} ({ratio:.3f}x)")
        elif ratio is not None and ratio < 1.0 - 1e-9:
            shorter += 1
    out.append(
        f"- Every size, priority ≥ greedy: {_verdict(not worse)} on {compared} instances"
        + (f"; below greedy on {', '.join(worse)}" if worse else "")
    )
    out.append(
        f"- Every size, travel per served request ≤ greedy's: {_verdict(not longer)} "
        f"(strictly less on {shorter} of {compared}; equal where greedy's plan is already "
        "optimal)" + (f"; more on {', '.join(longer)}" if longer else "")
    )
    return out


# Issue 13's targets, by family (the shares of the proven bound on timed M).
ISSUE13_TIMED_M_SHARE = {"M-timed-teams-ample": 0.99, "M-timed-teams-scarce": 0.97}
ISSUE13_OVER_GREEDY = 1.05  # timed M: at least +5% priority over greedy
ISSUE13_WALL_FACTOR = 1.05  # every size: wall within the limit plus 5%


def issue13_targets(records: list[dict[str, Any]]) -> list[str]:
    """Issue 13's targets, judged from the numbers in this results directory
    (where they differ from issue 3's above, these are the ones that count)."""
    out = []
    for rec in records:
        name, mc, gr = rec["family"], _run(rec, "matchcore"), _run(rec, "greedy")
        if not mc or mc.get("priority") is None:
            continue
        bound, share = rec.get("bound"), None
        if bound:
            share = mc["priority"] / bound
        vs_greedy = mc["priority"] / gr["priority"] if gr.get("priority") else None
        if name in ISSUE13_TIMED_M_SHARE:
            want = ISSUE13_TIMED_M_SHARE[name]
            ok = (
                share is not None
                and share >= want
                and vs_greedy is not None
                and vs_greedy >= ISSUE13_OVER_GREEDY
                and _in_promise(rec, mc)
            )
            pct = _num(None if share is None else 100 * share, "{:.2f}")
            out.append(
                f"- Issue 13, timed M, {name}: {_verdict(ok)}: priority "
                f"{mc['priority']:,.0f} = {pct}% "
                f"of the proven bound {_num(bound, '{:,.0f}')} (target ≥ {100 * want:g}%), "
                f"{_num(vs_greedy, '{:.4f}')}x greedy (target ≥ {ISSUE13_OVER_GREEDY:g}x), "
                f"{_wall(rec, mc)}"
            )
        elif name == "N-timed-teams-ample":
            statuses = mc.get("statuses") or [mc.get("status")]
            ok = all(s == "optimal" for s in statuses) and (mc.get("e2e_s") or 1e9) < 1.0
            out.append(
                f"- Issue 13, network size, {name}: {_verdict(ok)}: statuses {statuses}, "
                f"median {_num(mc.get('e2e_s'), '{:.2f}')} s (target: optimal, median < 1 s)"
            )
        elif name == "L-untimed-budgets-capped":
            ok = (
                mc.get("gap_pct") is not None
                and mc["gap_pct"] <= 0.1
                and (mc.get("time_vs_flow") or 1e9) <= 1.5
                and 0 < (mc.get("peak_mb") or 1e9) < 4096
                and _in_promise(rec, mc)
            )
            out.append(
                f"- Issue 13, untimed L with scarce volunteers, teams and budgets, {name}: "
                f"{_verdict(ok)}: gap {_num(mc.get('gap_pct'), '{:.3f}')}% to the proven bound "
                f"{_num(bound, '{:,.0f}')} (target ≤ 0.1%), "
                f"{_num(mc.get('time_vs_flow'), '{:.2f}')}x the relaxed flow (target ≤ 1.5x), "
                f"peak {_num(mc.get('peak_mb'), '{:,.0f}')} MB (target < 4 GB), {_wall(rec, mc)}"
            )
        elif name == "L-timed-teams-ample":
            ok = (
                mc.get("violations") == 0
                and bound is not None
                and vs_greedy is not None
                and vs_greedy > 1.0
                and 0 < (mc.get("peak_mb") or 1e9) < 8192
                and _in_promise(rec, mc)
            )
            out.append(
                f"- Issue 13, timed L, {name}: {_verdict(ok)}: {mc.get('status')}, priority "
                f"{mc['priority']:,.0f}, {_num(vs_greedy, '{:.5f}')}x greedy (target > 1), "
                f"proven bound {_num(bound, '{:,.0f}')} "
                f"(gap {_num(mc.get('gap_pct'), '{:.2f}')}%), "
                f"peak {_num(mc.get('peak_mb'), '{:,.0f}')} MB (target < 8 GB), {_wall(rec, mc)}"
            )
    late = [
        f"{rec['family']} ({_run(rec, 'matchcore')['e2e_s']:.1f} s on {rec['time_limit_s']:g} s)"
        for rec in records
        if _run(rec, "matchcore").get("e2e_s") is not None
        and rec.get("time_limit_s")
        and not _in_promise(rec, _run(rec, "matchcore"))
    ]
    timed = [r for r in records if _run(r, "matchcore").get("e2e_s") is not None]
    out.append(
        f"- Issue 13, every size, wall within the limit plus 5%: {_verdict(not late)} on "
        f"{len(timed)} instances" + (f"; past it on {', '.join(late)}" if late else "")
    )
    return out


def _in_promise(rec: dict[str, Any], mc: dict[str, Any]) -> bool:
    """matchcore's wall (problem to plan) within the limit plus 5%."""
    limit = rec.get("time_limit_s")
    return limit is None or (mc.get("e2e_s") or 0.0) <= ISSUE13_WALL_FACTOR * limit


def _wall(rec: dict[str, Any], mc: dict[str, Any]) -> str:
    return (
        f"{_num(mc.get('e2e_s'), '{:.1f}')} s on a {rec.get('time_limit_s'):g} s limit "
        f"(target ≤ {ISSUE13_WALL_FACTOR * rec.get('time_limit_s', 0):.0f} s)"
    )


def _verdict(ok: bool) -> str:
    return "**holds**" if ok else "**does not hold**"


# -- plot ------------------------------------------------------------------------------------


def plot(records: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_q) = plt.subplots(1, 2, figsize=(13, 5))
    markers = {
        ("untimed", "single"): "o",
        ("untimed", "teams"): "D",
        ("untimed", "budgets"): "P",
        ("timed", "teams"): "s",
    }
    seen: set[str] = set()
    for rec in records:
        if rec.get("kind") == "groups" or not rec["instance"]["requests"]:
            continue  # no tasks: the groups have their own table
        n = rec["instance"]["requests"]
        # Scarce instances sit a little to the right, so that points do not hide each other.
        x = n * (1.15 if rec["supply"] == "scarce" else 1.0)
        marker = markers.get((rec["timing"], rec["kind"]), "^")
        best = rec.get("bound") or max((r.get("priority") or 0 for r in rec["runs"]), default=0)
        for run in rec["runs"]:
            peer = run["peer"]
            xp = x * (1.0 + 0.025 * PEER_ORDER.index(peer))  # peers side by side
            filled = run.get("status") == "optimal"
            style = {
                "color": COLOURS[peer],
                "marker": marker,
                "markerfacecolor": COLOURS[peer] if filled else "none",
                "linestyle": "none",
                "markersize": 7,
            }
            if run.get("e2e_s"):
                ax_t.plot([xp], [run["e2e_s"]], **style)
                seen.add(peer)
            if run.get("priority") is not None and best:
                ax_q.plot([xp], [run["priority"] / best], **style)
    for ax in (ax_t, ax_q):
        ax.set_xscale("log")
        ax.set_xlabel("requests (log; scarce supply drawn 15% to the right)")
        ax.grid(True, which="both", alpha=0.3)
    ax_t.set_yscale("log")
    ax_t.set_ylabel("wall seconds, problem to plan (log)")
    ax_t.set_title("Time against size")
    ax_q.set_ylabel("served priority / best proven bound")
    ax_q.set_title("Quality against size (filled: proven optimal)")
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=COLOURS[p], marker="o", linestyle="none", label=p)
        for p in PEER_ORDER
        if p in seen
    ]
    handles += [
        Line2D([], [], color="grey", marker=m, linestyle="none", label=f"{t} {k}")
        for (t, k), m in markers.items()
    ]
    ax_t.legend(handles=handles, fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_summary(out: Path) -> Path:
    records = load_results(out)
    lines = [
        "# matchcore benchmarks: summary",
        "",
        "Generated by `python -m benchmarks` (see `benchmarks/README.md`). One row per "
        "(instance, peer); every plan was checked by `matchcore.check` (viol. = violations, "
        "must be 0). *time s*: from the problem in memory to the plan (baselines: the shared "
        "candidate graph's build time plus their own run). *core s*: the method alone "
        "(matchcore: end to end). *time / flow*: this peer's time over the plain min-cost "
        "flow's core time (build + solve) on the same candidate graph. *bound*: matchcore's "
        "proven upper bound on served priority (and the tightest of all peers' when another "
        "is tighter); *gap %*: to the tightest proven bound. Served requests, priority, "
        "continuity and km are recomputed by the checker, not taken from the peer.",
        "",
    ]
    if records:
        machines = {
            (r["machine"].get("cpus_usable"), r["machine"].get("memory_gb")) for r in records
        }
        started = min(r["started_at"] for r in records)
        finished = max(r.get("finished_at", r["started_at"]) for r in records)
        loads = [r["machine"].get("load_avg_1m", 0.0) for r in records]
        digests = sorted({r["machine"].get("matchcore_src_sha256", "?") for r in records})
        lines += [
            f"Runs from {started} to {finished}; machine(s) (usable cores, GiB): "
            f"{sorted(machines, key=str)}; 1-minute load average at family start "
            f"{min(loads):.1f}-{max(loads):.1f} (a shared machine: absolute times are noisy, "
            "ratios within a row's family are what counts). matchcore source digest(s) at "
            f"family start: {', '.join(digests)}.",
            "",
            table(records),
            "",
            *(
                ["## Groups", "", group_table(records), ""]
                if any(r.get("kind") == "groups" for r in records)
                else []
            ),
            "## Targets of issue 13",
            "",
            *issue13_targets(records),
            "",
            "## Targets of issues 3 and 10 (and issue 13's reference peers)",
            "",
            *targets(records),
            "",
        ]
        issues = [(r["family"], i) for r in records for i in r.get("consistency_issues", [])]
        if issues:
            lines += ["## Consistency problems", ""]
            lines += [f"- {fam}: {text}" for fam, text in issues]
            lines.append("")
        plot(records, out / "summary.png")
        lines += ["![time and quality against size](summary.png)", ""]
    else:
        lines.append("No results yet.")
    path = out / "summary.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "results"
    print(write_summary(target))
