"""The audit trail (监管留痕): append-only rows, each chained to the one before by SHA-256.

``hash = sha256(prev_hash || canonical JSON of the entry)``. The database refuses UPDATE, DELETE
and TRUNCATE on ``audit_log`` (trigger in migration 0001); the chain makes any change that bypasses
the trigger (a superuser, a restored dump) visible to :func:`verify`, which names the first row
that no longer fits. Writers take a transaction-scoped advisory lock so concurrent requests and
commands extend one chain instead of forking it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same for every writer of this database.
_CHAIN_LOCK_KEY = 0x4D4D_4155_4454  # "MMAUDT"

_INSERT = text("""
    INSERT INTO audit_log (id, at, actor, role, action, object_type, object_id, detail, remote_addr, prev_hash, hash)
    VALUES (:id, :at, :actor, :role, :action, :object_type, :object_id, CAST(:detail AS jsonb), :remote_addr,
            :prev_hash, :hash)""")


@dataclass(frozen=True)
class Problem:
    """Where the chain breaks: the row id and what is wrong with it."""

    id: int
    problem: str

    def __str__(self) -> str:
        return f"audit_log id={self.id}: {self.problem}"


def record(session: Session, *, actor: str | None, role: str | None, action: str, object_type: str | None = None,
           object_id: str | int | None = None, detail: dict | None = None, remote_addr: str | None = None) -> int:
    """Append one entry in the session's transaction (durable when the caller commits); returns its id.

    ``detail`` must be JSON-serialisable (dates and other objects are stored as their ``str``).
    """
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    prev_hash = session.execute(text("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")).scalar() or GENESIS_HASH
    entry = {
        "id": session.execute(text("SELECT nextval(pg_get_serial_sequence('audit_log', 'id'))")).scalar_one(),
        "at": dt.datetime.now(dt.UTC), "actor": _clean(actor), "role": _clean(role),
        "action": _clean(action), "object_type": _clean(object_type),
        "object_id": None if object_id is None else _clean(str(object_id)),
        "detail": _plain_json(detail), "remote_addr": _clean(remote_addr),
    }
    digest = entry_hash(prev_hash, entry)
    stored_detail = None if entry["detail"] is None else _dumps(entry["detail"])
    session.execute(_INSERT, {**entry, "detail": stored_detail, "prev_hash": prev_hash, "hash": digest})
    return entry["id"]


def verify(session: Session, *, batch_size: int = 5000) -> list[Problem]:
    """Recompute the whole chain in id order; an empty list means no row was changed, removed or reordered."""
    problems: list[Problem] = []
    expected_prev = GENESIS_HASH
    rows = session.execute(text("""
        SELECT id, at, actor, role, action, object_type, object_id, detail, remote_addr, prev_hash, hash
        FROM audit_log ORDER BY id""").execution_options(yield_per=batch_size)).mappings()
    for row in rows:
        if row["prev_hash"] != expected_prev:
            problems.append(Problem(row["id"], "prev_hash does not match the previous row's hash "
                                               "(a row before it was removed, inserted or changed)"))
        if entry_hash(row["prev_hash"], row) != row["hash"]:
            problems.append(Problem(row["id"], "content does not match its hash (the row was edited)"))
        expected_prev = row["hash"]
    return problems


def entry_hash(prev_hash: str, entry) -> str:
    """SHA-256 hex of the previous hash followed by the entry's canonical JSON."""
    canonical = _dumps({
        "id": int(entry["id"]), "at": _utc_iso(entry["at"]), "actor": entry["actor"], "role": entry["role"],
        "action": entry["action"], "object_type": entry["object_type"], "object_id": entry["object_id"],
        "detail": entry["detail"], "remote_addr": entry["remote_addr"],
    })
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _utc_iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _clean(value: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL; a hostile username must not stop the trail from being written.
    return None if value is None else value.replace("\x00", "\ufffd")


def _plain_json(detail: dict | None):
    # What is hashed must be exactly what jsonb gives back: round-trip through JSON once.
    if detail is None:
        return None
    return json.loads(json.dumps(detail, default=str, ensure_ascii=False).replace("\\u0000", "\\ufffd"))


def _dumps(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
