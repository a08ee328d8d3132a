"""gunicorn settings for production::

    gunicorn -c service/gunicorn_conf.py 'service.app:create_app()'

Environment (besides the service's own ``MATCHCORE_*`` settings):

``MATCHCORE_BIND``          address to listen on (default ``127.0.0.1:8000``: put a TLS
                            reverse proxy in front; never expose plain HTTP)
``MATCHCORE_WEB_WORKERS``   worker processes (default: cores, at least 2, at most 4)
``MATCHCORE_WEB_THREADS``   threads per worker (default 4)

Timeouts follow the solve cap: a synchronous request waits at most
``solve_queue_timeout_s`` for a solver slot and then runs at most
``time_limit_cap_s + solve_margin_s`` (the service answers 503 past that), so
the worker timeout is set above the sum.
"""

from __future__ import annotations

import copy
import os

from gunicorn.glogging import CONFIG_DEFAULTS

from service.config import load_settings

# Only the timing settings are read here; create_app checks the keys itself.
_settings = load_settings({"insecure_dev": True})

bind = os.environ.get("MATCHCORE_BIND", "127.0.0.1:8000")
# one synchronous solve per worker at a time (max_concurrent_solves=1): about one per core
workers = int(os.environ.get("MATCHCORE_WEB_WORKERS", str(max(2, min(os.cpu_count() or 2, 4)))))
worker_class = "gthread"
threads = int(os.environ.get("MATCHCORE_WEB_THREADS", "4"))
_longest_request_s = (
    _settings.solve_queue_timeout_s + _settings.time_limit_cap_s + _settings.solve_margin_s
)
timeout = int(_longest_request_s + 15)
graceful_timeout = int(_settings.time_limit_cap_s + _settings.solve_margin_s + 5)
keepalive = 5
preload_app = False  # each worker builds its app: threads and the job runner start after fork
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
forwarded_allow_ips = "127.0.0.1"

# The app logs one line per request (request id, key id, route template, sizes,
# status, duration). gunicorn's access log would add client addresses and
# concrete paths, so it is off; errors go to stderr.
accesslog = None
errorlog = "-"
loglevel = "info"
logconfig_dict = copy.deepcopy(CONFIG_DEFAULTS)  # gunicorn's own, plus the service's loggers
logconfig_dict["formatters"]["matchcore"] = {
    "format": "%(asctime)s [%(process)d] %(levelname)s %(name)s %(message)s"
}
logconfig_dict["handlers"]["matchcore"] = {
    "class": "logging.StreamHandler",
    "formatter": "matchcore",
    "stream": "ext://sys.stderr",
}
logconfig_dict["loggers"]["matchcore"] = {
    "level": "WARNING",  # the library's own progress lines
    "handlers": ["matchcore"],
    "propagate": False,
}
logconfig_dict["loggers"]["matchcore.service"] = {"level": "INFO"}  # one line per request
logconfig_dict["loggers"]["gunicorn.error"]["propagate"] = False  # no second copy via root
# gunicorn's access log would log client addresses and concrete paths: off
logconfig_dict["loggers"]["gunicorn.access"] = {
    "level": "CRITICAL",
    "handlers": [],
    "propagate": False,
}
