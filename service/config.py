"""Service settings: defaults, environment variables and an optional config file.

Every setting has a safe default. Sources, strongest first:

1. the mapping passed to :func:`service.app.create_app` (tests, embedding);
   keys are the setting names in upper case (``"MAX_BODY_BYTES"``) or lower case;
2. environment variables ``MATCHCORE_<NAME>`` (``MATCHCORE_MAX_BODY_BYTES``);
3. the file named by ``MATCHCORE_CONFIG`` (TOML or JSON, lower-case names);
4. the defaults below.

API keys are given as ``"keyid:secret,keyid2:secret2"`` (env/mapping) or as a
table ``[api_keys] keyid = "secret"`` (file). A secret may be stored hashed as
``sha256:<64 hex digits>`` (the SHA-256 of the secret) so the config file does
not hold the secret itself. The service refuses to start without keys unless
``insecure_dev`` is set, and refuses weak or malformed keys.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

log = logging.getLogger("matchcore.service")

ENV_PREFIX = "MATCHCORE_"
KEY_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MIN_SECRET_LENGTH = 24
_HASHED_RE = re.compile(r"^sha256:([0-9a-fA-F]{64})$")


class ConfigError(ValueError):
    """A setting is missing or invalid; the service does not start."""


def hash_secret(secret: str) -> bytes:
    """SHA-256 of a secret: what the key store keeps and compares."""
    return hashlib.sha256(secret.encode("utf-8")).digest()


@dataclass(frozen=True)
class Settings:
    """All knobs of the service (see ``service/README.md`` for the table)."""

    # -- authentication --------------------------------------------------------------
    api_keys: Mapping[str, bytes] = field(default_factory=dict)  # key id -> sha256(secret)
    insecure_dev: bool = False
    # -- limits of synchronous calls (/v1/match, /v1/check) ----------------------------
    max_body_bytes: int = 5 * 1024 * 1024
    max_volunteers: int = 2_000
    max_requests: int = 1_000
    time_limit_cap_s: float = 30.0
    max_concurrent_solves: int = 1  # per process (gunicorn: per worker)
    solve_queue_timeout_s: float = 30.0  # wait for a free solve slot, then 503
    solve_margin_s: float = 5.0  # answer 503 if a solve overruns its cap by this much
    max_solver_threads: int = 2  # CP-SAT search workers per solve (problem asks, we cap)
    # -- rate limit, per key and per process -----------------------------------------------
    rate_limit_per_minute: float = 120.0
    rate_limit_burst: int = 30
    # -- jobs ------------------------------------------------------------------------
    jobs_db: str = ""  # default: <instance path>/matchcore-jobs.sqlite3
    job_runner: bool = True  # run queued jobs from this process (one runner per db)
    job_workers: int = 1  # solver processes of the runner
    job_max_body_bytes: int = 32 * 1024 * 1024
    job_max_volunteers: int = 20_000
    job_max_requests: int = 50_000
    job_time_limit_cap_s: float = 600.0
    job_retention_hours: float = 24.0
    job_max_active_per_key: int = 10
    job_max_attempts: int = 3
    job_poll_interval_s: float = 1.0
    # -- misc ----------------------------------------------------------------------
    readyz_cache_s: float = 10.0

    def __post_init__(self) -> None:
        positive = (
            "max_body_bytes",
            "max_volunteers",
            "max_requests",
            "time_limit_cap_s",
            "max_concurrent_solves",
            "solve_queue_timeout_s",
            "max_solver_threads",
            "rate_limit_per_minute",
            "rate_limit_burst",
            "job_workers",
            "job_max_body_bytes",
            "job_max_volunteers",
            "job_max_requests",
            "job_time_limit_cap_s",
            "job_retention_hours",
            "job_max_active_per_key",
            "job_max_attempts",
            "job_poll_interval_s",
        )
        for name in positive:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ConfigError(f"{name} must be greater than 0")
        for name in ("solve_margin_s", "readyz_cache_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"{name} must be 0 or more")
        if not self.api_keys and not self.insecure_dev:
            raise ConfigError(
                "no API keys configured: set MATCHCORE_API_KEYS='keyid:secret,...' or "
                "MATCHCORE_CONFIG=/path/to/config.toml; for local development only, "
                "MATCHCORE_INSECURE_DEV=1 starts without authentication"
            )


_FIELDS = {f.name: f for f in fields(Settings)}
_INTS = {n for n, f in _FIELDS.items() if f.type == "int"}
_FLOATS = {n for n, f in _FIELDS.items() if f.type == "float"}
_BOOLS = {n for n, f in _FIELDS.items() if f.type == "bool"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from ``overrides`` > environment > config file > defaults."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    over = {str(k).lower(): v for k, v in (overrides or {}).items()}
    config_path = over.pop("config", None) or env.get(ENV_PREFIX + "CONFIG")
    if config_path:
        raw.update(_read_file(Path(str(config_path))))
    for name in _FIELDS:
        if ENV_PREFIX + name.upper() in env:
            raw[name] = env[ENV_PREFIX + name.upper()]
    for name, value in over.items():
        if name in _FIELDS:
            raw[name] = value
        # other keys (TESTING, SECRET_KEY, ...) are Flask's business
    values = {name: _convert(name, value) for name, value in raw.items()}
    return Settings(**values)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"cannot read config file {path}: {err.strerror}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text.decode())
    except (ValueError, UnicodeDecodeError) as err:
        raise ConfigError(f"config file {path} is not valid TOML/JSON: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a table of settings")
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise ConfigError(f"config file {path}: unknown settings {', '.join(unknown)}")
    if "api_keys" in data and path.stat().st_mode & 0o077 and _has_plain_secret(data["api_keys"]):
        log.warning(
            "config file %s holds plaintext API secrets and is readable by other users: "
            "chmod 600 it, or store the secrets as sha256:<hex digests>",
            path,
        )
    return data


def _has_plain_secret(value: Any) -> bool:
    if isinstance(value, Mapping):
        secrets = [str(v) for v in value.values()]
    else:
        secrets = [item.partition(":")[2].strip() for item in str(value).split(",")]
    return any(s and not _HASHED_RE.match(s) for s in secrets)


def _convert(name: str, value: Any) -> Any:
    try:
        if name == "api_keys":
            return parse_api_keys(value)
        if name == "jobs_db":
            return str(value)
        if name in _BOOLS:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError("expected true or false")
        if name in _INTS:
            if isinstance(value, bool):
                raise ValueError("expected a whole number")
            return int(value)
        if name in _FLOATS:
            if isinstance(value, bool):
                raise ValueError("expected a number")
            return float(value)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"setting {name}: {err}") from None
    raise ConfigError(f"unknown setting {name}")  # pragma: no cover


def parse_api_keys(value: Any) -> dict[str, bytes]:
    """Key ids to SHA-256 digests, from ``"id:secret,..."`` or a mapping."""
    if isinstance(value, Mapping):
        pairs = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, str):
        pairs = []
        for item in value.split(","):
            item = item.strip()
            if not item:
                continue
            key_id, sep, secret = item.partition(":")
            if not sep:
                raise ValueError("each key must be written keyid:secret")
            pairs.append((key_id.strip(), secret.strip()))
    else:
        raise ValueError("api_keys must be 'keyid:secret,...' or a table")
    keys: dict[str, bytes] = {}
    for key_id, secret in pairs:
        if not KEY_ID_RE.match(key_id):
            raise ValueError("a key id must be 1-64 characters of letters, digits, '.', '_' or '-'")
        if key_id in keys:
            raise ValueError(f"key id {key_id} is given twice")
        if not isinstance(secret, str):
            raise ValueError(f"the secret of key {key_id} must be a string")
        hashed = _HASHED_RE.match(secret)
        if hashed:
            digest = bytes.fromhex(hashed.group(1))
        else:
            if len(secret) < MIN_SECRET_LENGTH or any(c.isspace() for c in secret):
                raise ValueError(
                    f"the secret of key {key_id} is too weak: use at least "
                    f"{MIN_SECRET_LENGTH} characters without spaces (e.g. "
                    "python -c 'import secrets; print(secrets.token_urlsafe(32))')"
                )
            digest = hash_secret(secret)
        if digest in keys.values():
            raise ValueError(f"key {key_id} has the same secret as another key")
        keys[key_id] = digest
    return keys
