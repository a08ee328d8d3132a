"""API keys (Bearer, constant-time) and the per-key rate limit (token bucket)."""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from collections.abc import Mapping

from service.errors import ApiError

INSECURE_KEY_ID = "insecure-dev"


class KeyStore:
    """Known keys as SHA-256 digests of their secrets; answers the key *id*.

    The presented secret is hashed, so every comparison is between two 32-byte
    digests (no length leak), and every key is compared (no early exit), each
    with :func:`hmac.compare_digest`.
    """

    def __init__(self, keys: Mapping[str, bytes], *, insecure_dev: bool = False) -> None:
        self._keys = tuple(keys.items())
        self.insecure_dev = insecure_dev and not self._keys

    def identify(self, authorization: str | None) -> str:
        """The key id for an ``Authorization`` header, or raise a 401 :class:`ApiError`."""
        if self.insecure_dev:
            return INSECURE_KEY_ID
        if not authorization:
            raise _unauthorized("This endpoint needs an API key: Authorization: Bearer <key>.")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("Use the Bearer scheme: Authorization: Bearer <key>.", invalid=True)
        digest = hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
        found: str | None = None
        for key_id, stored in self._keys:
            if hmac.compare_digest(digest, stored):
                found = key_id
        if found is None:
            raise _unauthorized("The API key is not valid.", invalid=True)
        return found


def _unauthorized(detail: str, *, invalid: bool = False) -> ApiError:
    challenge = 'Bearer realm="matchcore"'
    if invalid:
        challenge += ', error="invalid_token"'
    return ApiError(401, "unauthorized", detail, headers={"WWW-Authenticate": challenge})


class RateLimiter:
    """A token bucket per key id: ``burst`` requests at once, refilled at ``per_minute``.

    In-process: with N gunicorn workers a key can make up to N times the
    configured rate. Enough to stop a runaway client; put a shared limiter in
    the reverse proxy for a hard global limit.
    """

    def __init__(self, per_minute: float, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str, cost: float = 1.0) -> None:
        """Spend ``cost`` tokens of ``key_id`` or raise a 429 :class:`ApiError`."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= cost:
                self._buckets[key_id] = (tokens - cost, now)
                return
            self._buckets[key_id] = (tokens, now)
            wait = (cost - tokens) / self.rate
        raise ApiError(
            429,
            "rate-limited",
            "Too many requests for this API key; retry after the number of seconds in Retry-After.",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
