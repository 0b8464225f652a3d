"""The store's shared scenarios (``SHARED`` in tests/test_store.py) against a real PostgreSQL.

pgserver starts a private PostgreSQL 16 for this module (as root it runs it as the system user
``pgserver``); every test gets a database of its own.
"""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

pgserver = pytest.importorskip(
    "pgserver", reason="pgserver 未安装:PostgreSQL 场景跳过(pip install -r requirements-dev.txt 后再运行)"
)

from metrics.storage.store import Store  # noqa: E402 (after the skip above)
from tests import test_store as scenarios  # noqa: E402

# The very same test functions, collected again here: they run on this module's store_url.
globals().update({name: getattr(scenarios, name) for name in scenarios.SHARED})

_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    yield srv
    srv.cleanup()


@pytest.fixture(scope="module")
def admin(server):
    engine = sa.create_engine(_psycopg(server.get_uri()), isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def store_url(server, admin) -> str:
    name = f"store_{next(_numbers)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    return sa.engine.make_url(_psycopg(server.get_uri())).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def store(store_url):
    s = Store(store_url)
    yield s
    s.dispose()


def _psycopg(uri: str) -> str:
    return uri.replace("postgresql://", "postgresql+psycopg://", 1)


def test_the_shared_scenarios_really_run_on_postgresql(store):
    assert store.engine.dialect.name == "postgresql"
    assert len(scenarios.SHARED) >= 15
    assert all(name in globals() for name in scenarios.SHARED)
