"""Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis).

In-process (WSGI), bounded: a few dozen generated requests per operation, valid
and invalid ones, with and without a key. Every default check of schemathesis
runs: no 5xx, status codes, content types, headers and bodies as documented,
invalid data rejected, authentication not ignored.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from service_testlib import AUTH_A, SECRET_A, SECRET_B

from service.app import create_app

pytestmark = pytest.mark.timeout(300)

_TMP = Path(tempfile.mkdtemp(prefix="matchcore-fuzz-"))
atexit.register(shutil.rmtree, _TMP, True)  # also when only collected
APP = create_app(
    {
        "TESTING": True,
        "API_KEYS": f"alpha:{SECRET_A},beta:{SECRET_B}",
        "JOBS_DB": str(_TMP / "jobs.sqlite3"),
        "JOB_RUNNER": False,
        "MAX_SOLVER_THREADS": 1,
        # short solves, so that generated time limits cannot make the run long
        "TIME_LIMIT_CAP_S": 1,
        "JOB_MAX_ACTIVE_PER_KEY": 100_000,
        "RATE_LIMIT_PER_MINUTE": 1_000_000,
        "RATE_LIMIT_BURST": 1_000_000,
    }
)
# JSON Schema cannot express unique ids, references to known ids, end after start or a
# duration that fits its window: schema-valid documents that break those are a 422.
# DELETE of a queued or running job cancels it, and the cancelled job reads back (200,
# status "cancelled") until retention erases it, as the document says; only a finished
# job is erased at once. schemathesis's use-after-free check expects every DELETE to erase.
CONFIG = SchemathesisConfig.from_dict(
    {
        "headers": AUTH_A,
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "404", "409", "422", "429"]
            },
            "use_after_free": {"enabled": False},
        },
    }
)
schema = schemathesis.openapi.from_wsgi("/openapi.json", APP, config=CONFIG)


@pytest.fixture(scope="module", autouse=True)
def _close_app() -> Iterator[None]:
    yield
    APP.extensions["matchcore"].close()
    shutil.rmtree(_TMP, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_document(case: Any) -> None:
    case.call_and_validate()


# Stateful: follows the document's links (create a job, then read and delete it).
APIWorkflow = schema.as_state_machine()


class TestJobWorkflow(APIWorkflow.TestCase):  # type: ignore[name-defined,misc]
    settings = settings(
        max_examples=10,
        stateful_step_count=4,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
