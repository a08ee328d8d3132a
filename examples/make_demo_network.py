"""Regenerate the network that ``matchcore demo`` solves.

The bundled ``src/matchcore/data/demo_network.json`` is one week of a local
care network around Ieper (the Westhoek, West Flanders): 60 volunteers, 120
help requests with time windows and two pinned commitments, drawn by
:func:`matchcore.synth.generate.generate`. Volunteers are scarce, as they often are,
so the plan shows every reason why a request can stay unserved.

Run from the repository root::

    .venv/bin/python examples/make_demo_network.py          # rewrite the file
    .venv/bin/python examples/make_demo_network.py --check  # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from matchcore.problem import Problem
from matchcore.synth.generate import generate

OUTPUT = Path(__file__).resolve().parents[1] / "src" / "matchcore" / "data" / "demo_network.json"


def demo_problem() -> Problem:
    """The demo network, exactly as bundled."""
    return generate(60, 120, region="westhoek", timed=True, seed=2, pins=2)


def demo_text() -> str:
    """The demo network as the JSON text of the bundled file."""
    return json.dumps(demo_problem().to_dict(), indent=1) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the file is current")
    args = parser.parse_args()
    text = demo_text()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date; run {Path(__file__).name} to regenerate it")
            return 1
        print(f"{OUTPUT} is up to date")
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
