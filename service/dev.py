"""Development server: ``python -m service.dev`` (``make serve``).

Starts the service on 127.0.0.1:8000 with a freshly generated API key, printed
once. Loopback only: the Flask development server is not for real traffic;
production runs under gunicorn (see ``service/README.md``). Set
``MATCHCORE_API_KEYS`` to use your own keys instead of a generated one.

SIGTERM (``kill``, or ``make`` passing it on) stops the server as Ctrl-C does:
the job runner gives its running jobs back to the queue and ends its solver
processes before the server exits, so no process is left behind.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import sys
from collections.abc import Sequence
from types import FrameType

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service.dev", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", choices=LOOPBACK)
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    # Imported here, not at the top: a solver process (spawn) re-imports this module
    # before it can ignore Ctrl-C, so that import must be quick (no Flask, no OR-Tools).
    from service.app import create_app
    from service.config import ConfigError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("matchcore").setLevel(logging.WARNING)  # the library's own chatter
    logging.getLogger("matchcore.service").setLevel(logging.INFO)
    # werkzeug's request log prints concrete paths (job ids); ours is the one line per request
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    config: dict[str, str] = {}
    key = None
    if not os.environ.get("MATCHCORE_API_KEYS") and not os.environ.get("MATCHCORE_CONFIG"):
        key = secrets.token_urlsafe(32)
        config["API_KEYS"] = f"dev:{key}"
    try:
        app = create_app(config)
    except ConfigError as err:
        print(f"matchcore service: {err}", file=sys.stderr)
        return 2
    _print_banner(f"http://{'[::1]' if args.host == '::1' else args.host}:{args.port}", key)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        # werkzeug's serve loop ends quietly on KeyboardInterrupt (Ctrl-C, or SIGTERM here)
        app.run(host=args.host, port=args.port, debug=False, use_reloader=False, threaded=True)
    finally:
        app.extensions["matchcore"].close()  # the job runner and its solver processes
    print("matchcore service stopped", flush=True)
    return 0


def _print_banner(base: str, key: str | None) -> None:
    print(f"matchcore service (development) on {base}   docs: {base}/docs", flush=True)
    if key is not None:
        print(
            "API key (shown once, valid until this server stops):\n"
            f"  {key}\n"
            "Try:\n"
            f"  curl -sS -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' "
            f"--data @service/example_problem.json {base}/v1/match",
            flush=True,
        )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the serve loop like Ctrl-C, so the ``finally`` above runs."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
