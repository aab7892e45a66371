"""The audit trail: append-only in the database, hash-chained, and `marketmap audit verify` names a tampered row."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from supervision import audit


def _entries(session, n=3):
    return [audit.record(session, actor="zhang", role="official", action="inspection_draw",
                         object_type="inspection_draw", object_id=i, detail={"seed": i, "名称": "抽查", "n": 1.5},
                         remote_addr="10.0.0.7") for i in range(n)]


def _tamper(session, sql: str, **params) -> None:
    # Only a superuser can do this: switch off ordinary triggers for this transaction (rolled back after).
    session.execute(text("SET LOCAL session_replication_role = replica"))
    session.execute(text(sql), params)
    session.execute(text("SET LOCAL session_replication_role = origin"))


def test_entries_chain_and_verify_clean(session):
    ids = _entries(session)
    rows = session.execute(text("SELECT id, prev_hash, hash FROM audit_log WHERE id = ANY(:ids) ORDER BY id"),
                           {"ids": ids}).all()
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert audit.verify(session) == []


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'nobody'", "DELETE FROM audit_log",
                                       "TRUNCATE audit_log"])
def test_database_refuses_to_change_the_trail(session, statement):
    _entries(session, 1)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(statement))


def test_edited_row_is_named(session):
    first, middle, last = _entries(session)
    _tamper(session, "UPDATE audit_log SET detail = '{\"seed\": 99}' WHERE id = :id", id=middle)
    problems = audit.verify(session)
    assert [(p.id, "edited" in p.problem) for p in problems] == [(middle, True)]


def test_removed_row_is_named_by_its_successor(session):
    first, middle, last = _entries(session)
    _tamper(session, "DELETE FROM audit_log WHERE id = :id", id=middle)
    problems = audit.verify(session)
    assert [p.id for p in problems] == [last] and "removed" in problems[0].problem


def test_rehashed_row_still_breaks_the_chain_after_it(session):
    # Someone who edits a row and recomputes its own hash breaks the next row's prev_hash.
    first, middle, last = _entries(session)
    row = session.execute(text("SELECT * FROM audit_log WHERE id = :id"), {"id": middle}).mappings().one()
    forged = {**row, "actor": "somebody else"}
    _tamper(session, "UPDATE audit_log SET actor = :actor, hash = :hash WHERE id = :id", actor=forged["actor"],
            hash=audit.entry_hash(row["prev_hash"], forged), id=middle)
    assert [p.id for p in audit.verify(session)] == [last]


def test_cli_verify_says_where(runner, session):
    ids = _entries(session)
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    _tamper(session, "UPDATE audit_log SET remote_addr = '1.2.3.4' WHERE id = :id", id=ids[0])
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1 and f"id={ids[0]}" in bad.output


def test_nul_and_odd_values_are_stored_and_still_verify(session):
    audit.record(session, actor="a\x00b", role=None, action="login_failed", detail={"u": "x\x00y", "when": object()})
    assert audit.verify(session) == []


def test_concurrent_writers_keep_one_chain(engine, session):
    """Two connections appending at once (committed) still leave one unbroken chain."""
    def write(n):
        with Session(engine) as s:
            for i in range(n):
                audit.record(s, actor=f"writer{threading.get_ident()}", role="official", action="test_concurrent",
                             object_id=i)
                s.commit()

    threads = [threading.Thread(target=write, args=(8,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Session(engine) as s:
        try:
            assert audit.verify(s) == []
            assert s.execute(text("SELECT count(*) FROM audit_log WHERE action = 'test_concurrent'")).scalar() == 16
        finally:  # leave the shared test database as it was (the superuser may bypass the trigger)
            s.execute(text("SET LOCAL session_replication_role = replica"))
            s.execute(text("DELETE FROM audit_log WHERE action = 'test_concurrent'"))
            s.commit()
