"""The campaign scenarios (``SHARED`` in tests/test_campaigns.py) against a real PostgreSQL.

The server and the per-test database come from tests/test_store_pg.py (pgserver, PostgreSQL 16).
"""

from __future__ import annotations

import pytest

pytest.importorskip(
    "pgserver", reason="pgserver 未安装:PostgreSQL 场景跳过(pip install -r requirements-dev.txt 后再运行)"
)

from tests import test_campaigns as scenarios
from tests.test_store_pg import admin, server, store, store_url  # noqa: F401  (fixtures)

globals().update({name: getattr(scenarios, name) for name in scenarios.SHARED})


def test_the_campaign_scenarios_really_run_on_postgresql(store):
    assert store.engine.dialect.name == "postgresql"
    assert len(scenarios.SHARED) >= 10
    assert all(name in globals() for name in scenarios.SHARED)
