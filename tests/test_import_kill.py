"""SIGKILL in the middle of a committed import leaves the database exactly as before the batch.

The import runs as ``marketmap import`` in a subprocess against a scratch database (its commits
must not leak into the shared test database). ``MARKETMAP_IMPORT_TEST_PAUSE=upsert`` makes it
print "paused after upsert" once every row is written but before the commit; it is killed there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from app.demo.uscc import make_uscc
from importer.batch import PAUSE_ENV
from models import migrate
from models.db import make_engine
from tests.conftest import create_scratch_database, drop_scratch_database

MARKETMAP = Path(sys.executable).with_name("marketmap")


@pytest.fixture
def scratch_url():
    url = create_scratch_database("marketmap_import_kill")
    migrate.upgrade(url)
    yield url
    drop_scratch_database(url)


def _snapshot(engine) -> tuple:
    with engine.connect() as conn:
        return conn.execute(text("SELECT (SELECT count(*) FROM enterprise), (SELECT count(*) FROM import_batch), "
                                 "(SELECT count(*) FROM import_reject), (SELECT coalesce(sum(version), 0) "
                                 "FROM data_version)")).one()


def _command(path: Path) -> list[str]:
    return [str(MARKETMAP), "import", "enterprises", str(path), "--commit"]


def test_sigkill_midway_leaves_the_database_as_before(scratch_url, tmp_path):
    path = tmp_path / "enterprises_1000.csv"
    pd.DataFrame({"统一社会信用代码": [make_uscc("9", "1", "500112", f"MK{i:06d}") for i in range(1000)] + ["bad"],
                  "企业名称": [f"企业{i}" for i in range(1001)], "登记状态": "存续"}).to_csv(path, index=False)
    env = {**os.environ, "MARKETMAP_DATABASE_URL": scratch_url, PAUSE_ENV: "upsert"}
    engine = make_engine(scratch_url)
    before = _snapshot(engine)
    proc = subprocess.Popen(_command(path), env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        assert "paused after upsert" in line, line
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert _snapshot(engine) == before  # nothing half-applied, not even the batch row

    env.pop(PAUSE_ENV)
    done = subprocess.run(_command(path), env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with engine.connect() as conn:
        batch = conn.execute(text("SELECT status, rows_total, rows_inserted, rows_updated, rows_unchanged, "
                                  "rows_rejected FROM import_batch")).one()
        assert batch == ("committed", 1001, 1000, 0, 0, 1)
        assert conn.execute(text("SELECT count(*) FROM enterprise")).scalar_one() == 1000
    engine.dispose()
