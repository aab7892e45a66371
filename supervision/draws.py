"""The double-random draw (双随机抽取), pure and reproducible: no database, no clock, no floats.

Input is a canonical ``Snapshot`` (entities sorted by id with risk class and grid; inspectors
sorted by id with department and grids; recent (inspector, entity) visits; ratios in basis
points; team size) and a seed. ``draw`` returns a plain dict; the same snapshot, seed and
algorithm version give the same bytes on any machine, which ``verify`` proves.

Randomness (``Drbg``): HMAC-SHA256 in counter mode. For a purpose label ``L`` (e.g.
``draw-1/entity/B``) block ``i`` is ``HMAC-SHA256(key=seed, msg=L || 0x00 || i as 8 bytes
big-endian)``; the stream is the blocks concatenated, read as big-endian unsigned 64-bit keys.
Every random choice is "sort by keyed random number, ties by id", so there is no modulo bias.

Algorithm ``draw-1``:
1. Entities per class are sampled without replacement: the ``k`` smallest keys of
   ``draw-1/entity/<class>``, with ``k = ceil(N × ratio)`` computed in integers
   (``(N·bp + 9999) // 10000``): never below the ratio, at most one entity above it; D is 100 %.
2. Teams: each participating department's inspectors are shuffled (``draw-1/inspectors/<dept>``);
   team ``t`` takes the ``t``-th inspector of every department (a joint plan visits each entity
   once, with every department in the team), then the remaining seats are filled from the
   leftover inspectors shuffled (``draw-1/pool``). Teams = min(entities drawn, what the directory
   allows).
3. Entities are taken in random order (``draw-1/order``) and each goes to the least-loaded team
   with no conflict (no member whose grids contain the entity's grid, no member who visited the
   entity in the last year); ties go to the team earlier in a random order (``draw-1/teams``).
   An entity every team conflicts with is listed in ``unassigned``, never given to a conflicted team.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np

ALGORITHM_VERSION = "draw-1"
SNAPSHOT_FORMAT = "marketmap-draw-snapshot/1"
CLASSES = ("A", "B", "C", "D")
DEFAULT_RATIOS_PERCENT = {"A": 2, "B": 5, "C": 20, "D": 100}
MIN_TEAM_SIZE = 2


class DrawError(ValueError):
    """The draw cannot be made from this input; the message says why (Chinese / English)."""


class Drbg:
    """Deterministic random bit generator: HMAC-SHA256(seed, label || 0x00 || counter) blocks."""

    def __init__(self, seed: bytes, label: str):
        if len(seed) < 16:
            raise DrawError("种子至少 16 字节 / the seed must be at least 16 bytes")
        self._base = hmac.new(seed, label.encode("utf-8") + b"\x00", hashlib.sha256)

    def read(self, n_bytes: int) -> bytes:
        blocks = []
        for counter in range((n_bytes + 31) // 32):
            h = self._base.copy()
            h.update(counter.to_bytes(8, "big"))
            blocks.append(h.digest())
        return b"".join(blocks)[:n_bytes]

    def uint64(self, n: int) -> np.ndarray:
        return np.frombuffer(self.read(8 * n), dtype=">u8").astype(np.uint64)


def random_order(seed: bytes, label: str, ids: np.ndarray) -> np.ndarray:
    """Positions of ``ids`` sorted by keyed random number (ties by id): a uniform shuffle."""
    keys = Drbg(seed, label).uint64(len(ids))
    return np.lexsort((ids, keys))


@dataclass(frozen=True)
class Inspector:
    id: int
    department: str
    grids: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Snapshot:
    """Everything a draw reads, in canonical order (build it with ``build_snapshot``)."""

    entity_ids: np.ndarray  # int64, sorted, unique
    entity_classes: np.ndarray  # uint8, 0..3 for A..D
    entity_grids: np.ndarray  # int32 index into grid_codes, -1 for none
    grid_codes: tuple[str, ...]
    inspectors: tuple[Inspector, ...]
    visits: tuple[tuple[int, int], ...]  # (inspector id, entity id), sorted
    departments: tuple[str, ...]
    ratios_bp: tuple[int, int, int, int]
    team_size: int

    def header(self) -> dict:
        return {"format": SNAPSHOT_FORMAT, "entities": int(len(self.entity_ids)), "grid_codes": list(self.grid_codes),
                "inspectors": [[i.id, i.department, list(i.grids)] for i in self.inspectors],
                "visits": [list(v) for v in self.visits], "departments": list(self.departments),
                "ratios_bp": dict(zip(CLASSES, self.ratios_bp, strict=True)), "team_size": self.team_size}


def ratios_to_bp(ratios_percent: dict | None) -> tuple[int, int, int, int]:
    """Percent per class (default 2/5/20/100) → basis points; at most two decimals, 0–100, D = 100."""
    merged = {**DEFAULT_RATIOS_PERCENT, **(ratios_percent or {})}
    unknown = set(merged) - set(CLASSES)
    if unknown:
        raise DrawError(f"未知风险类别 {sorted(unknown)} / unknown risk classes")
    out = []
    for cls in CLASSES:
        try:
            bp = Decimal(str(merged[cls])) * 100
        except InvalidOperation as exc:
            raise DrawError(f"{cls} 类比例不是数字 / ratio for {cls} is not a number") from exc
        if bp != bp.to_integral_value() or not 0 <= bp <= 10000:
            raise DrawError(f"{cls} 类比例须在 0–100% 之间且最多两位小数 / ratio for {cls} must be 0–100 % "
                            f"with at most two decimals, got {merged[cls]}")
        out.append(int(bp))
    if out[3] != 10000:
        raise DrawError("D 类（红色）主体必须全部抽查（100%） / class D is always drawn at 100 %")
    return tuple(out)


def build_snapshot(*, entity_ids, entity_classes, entity_grids, inspectors, visits=(), departments,
                   ratios_percent=None, team_size: int = MIN_TEAM_SIZE) -> Snapshot:
    """Canonicalise draw input. ``entity_classes`` are 'A'–'D'; ``entity_grids`` codes or None."""
    ids = np.asarray(entity_ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    if len(ids) and (np.diff(ids) == 0).any():
        raise DrawError("监管对象编号重复 / duplicate entity ids")
    classes = _class_codes(entity_classes)[order]
    grid_codes, grids = _grid_index(entity_grids)
    departments = tuple(sorted(set(departments)))
    staff = tuple(sorted((Inspector(int(i.id), i.department, tuple(sorted(set(i.grids))))
                          for i in inspectors if i.department in departments), key=lambda i: i.id))
    return Snapshot(ids, classes, grids[order], grid_codes, staff, tuple(sorted({(int(a), int(b)) for a, b in visits})),
                    departments, ratios_to_bp(ratios_percent), int(team_size))


def _class_codes(classes) -> np.ndarray:
    arr = np.asarray(classes)
    if arr.dtype.kind == "u":
        codes = arr.astype(np.uint8)
    else:
        codes = np.frombuffer("".join(arr.astype(str).tolist()).encode("ascii"), dtype=np.uint8) - ord("A")
        if codes.size != arr.size:
            raise DrawError("风险类别须为 A/B/C/D / risk class must be one letter A–D")
    if codes.size and codes.max() > 3:
        raise DrawError("风险类别须为 A/B/C/D / risk class must be A, B, C or D")
    return codes.astype(np.uint8)


def _grid_index(grids) -> tuple[tuple[str, ...], np.ndarray]:
    arr = np.array(["" if g is None else str(g) for g in grids], dtype=object)
    if arr.size == 0:
        return (), np.zeros(0, dtype=np.int32)
    codes, inverse = np.unique(arr.astype(str), return_inverse=True)
    codes = codes.tolist()
    index = inverse.astype(np.int32)
    if codes and codes[0] == "":
        codes, index = codes[1:], index - 1
    return tuple(codes), index


# ---------------------------------------------------------------- hashing and storage


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def snapshot_sha256(snapshot: Snapshot) -> str:
    """SHA-256 of the header's canonical JSON, 0x00, then ids (<i8), classes (u1), grid indices (<i4)."""
    h = hashlib.sha256(canonical_json(snapshot.header()) + b"\x00")
    h.update(snapshot.entity_ids.astype("<i8").tobytes())
    h.update(snapshot.entity_classes.astype("u1").tobytes())
    h.update(snapshot.entity_grids.astype("<i4").tobytes())
    return h.hexdigest()


def result_sha256(result: dict) -> str:
    return hashlib.sha256(canonical_json(result)).hexdigest()


def encode_snapshot(snapshot: Snapshot) -> dict:
    """Compact JSON form: header as JSON, the three entity columns zlib + base64 (ids delta-encoded).

    At 10^6 entities this is about 2–3 MB instead of ~15 MB of JSON arrays; the hash is over the
    decoded arrays, so zlib's exact output does not matter.
    """
    ids = snapshot.entity_ids.astype("<i8")
    deltas = np.diff(ids, prepend=np.int64(0)).astype("<i8")
    return {**snapshot.header(), "entity_ids_delta": _pack(deltas), "entity_classes": _pack(snapshot.entity_classes),
            "entity_grids": _pack(snapshot.entity_grids.astype("<i4"))}


def decode_snapshot(data: dict) -> Snapshot:
    if data.get("format") != SNAPSHOT_FORMAT:
        raise DrawError(f"未知快照格式 / unknown snapshot format {data.get('format')!r}")
    ids = np.cumsum(_unpack(data["entity_ids_delta"], "<i8")).astype(np.int64)
    ratios = tuple(int(data["ratios_bp"][c]) for c in CLASSES)
    return Snapshot(ids, _unpack(data["entity_classes"], "u1").astype(np.uint8),
                    _unpack(data["entity_grids"], "<i4").astype(np.int32), tuple(data["grid_codes"]),
                    tuple(Inspector(int(i), d, tuple(g)) for i, d, g in data["inspectors"]),
                    tuple((int(a), int(b)) for a, b in data["visits"]), tuple(data["departments"]), ratios,
                    int(data["team_size"]))


def _pack(arr: np.ndarray) -> str:
    return base64.b64encode(zlib.compress(arr.tobytes(), 6)).decode("ascii")


def _unpack(text: str, dtype: str) -> np.ndarray:
    return np.frombuffer(zlib.decompress(base64.b64decode(text)), dtype=dtype)


# ---------------------------------------------------------------- the draw


def drawn_count(population: int, ratio_bp: int) -> int:
    """ceil(population × ratio) in integers: never below the ratio, 100 % draws everyone."""
    return (population * ratio_bp + 9999) // 10000


def draw(snapshot: Snapshot, seed: bytes, *, algorithm_version: str = ALGORITHM_VERSION) -> dict:
    """Run the draw; returns the result dict that is stored and hashed (see module docstring)."""
    if algorithm_version != ALGORITHM_VERSION:
        raise DrawError(f"不支持的算法版本 / unsupported algorithm version {algorithm_version!r}")
    _check_input(snapshot)
    chosen, population, drawn = _sample_entities(snapshot, seed)
    teams = _form_teams(snapshot, seed, n_entities=len(chosen))
    assigned, unassigned = _assign(snapshot, seed, chosen, teams)
    ids = snapshot.entity_ids
    by_class = {c: ids[chosen[snapshot.entity_classes[chosen] == i]].tolist() for i, c in enumerate(CLASSES)}
    return {"algorithm_version": algorithm_version, "population": population, "drawn": drawn,
            "ratios_bp": dict(zip(CLASSES, snapshot.ratios_bp, strict=True)), "selected": by_class,
            "teams": [{"no": t + 1, "inspectors": [i.id for i in members],
                       "entities": ids[assigned[t]].tolist() if assigned[t] else []}
                      for t, members in enumerate(teams)],
            "unassigned": sorted(ids[unassigned].tolist())}


def _check_input(snapshot: Snapshot) -> None:
    if len(snapshot.entity_ids) == 0:
        raise DrawError("抽查范围内没有监管对象 / the scope holds no entities")
    if not snapshot.departments:
        raise DrawError("至少需要一个参与部门 / at least one department must take part")
    if snapshot.team_size < max(MIN_TEAM_SIZE, len(snapshot.departments)):
        raise DrawError(f"检查组至少 {max(MIN_TEAM_SIZE, len(snapshot.departments))} 人（每个参与部门一人） / "
                        "a team needs at least two inspectors and one per department")


def _sample_entities(snapshot: Snapshot, seed: bytes) -> tuple[np.ndarray, dict, dict]:
    picks, population, drawn = [], {}, {}
    for i, cls in enumerate(CLASSES):
        members = np.flatnonzero(snapshot.entity_classes == i)
        k = drawn_count(len(members), snapshot.ratios_bp[i])
        order = random_order(seed, f"{ALGORITHM_VERSION}/entity/{cls}", snapshot.entity_ids[members])
        picks.append(members[order[:k]])
        population[cls], drawn[cls] = int(len(members)), int(k)
    return np.sort(np.concatenate(picks)), population, drawn


def _form_teams(snapshot: Snapshot, seed: bytes, *, n_entities: int) -> list[list[Inspector]]:
    per_dept = []
    for dept in snapshot.departments:
        staff = [i for i in snapshot.inspectors if i.department == dept]
        order = random_order(seed, f"{ALGORITHM_VERSION}/inspectors/{dept}", np.array([i.id for i in staff], np.int64))
        per_dept.append([staff[j] for j in order])
    total = sum(len(s) for s in per_dept)
    n_teams = min([len(s) for s in per_dept] + [total // snapshot.team_size, n_entities])
    if n_teams == 0:
        raise DrawError("参与部门的执法人员不足以组成检查组 / not enough inspectors in the departments "
                        f"to form a team of {snapshot.team_size}")
    teams = [[s[t] for s in per_dept] for t in range(n_teams)]
    leftover = [i for s in per_dept for i in s[n_teams:]]
    order = random_order(seed, f"{ALGORITHM_VERSION}/pool", np.array([i.id for i in leftover], np.int64))
    pool = [leftover[j] for j in order]
    extra = snapshot.team_size - len(per_dept)
    for t, team in enumerate(teams):
        team.extend(pool[t * extra:(t + 1) * extra])
    return teams


def _assign(snapshot: Snapshot, seed: bytes, chosen: np.ndarray, teams: list[list[Inspector]]):
    n_teams = len(teams)
    grid_conflict = _team_grid_conflicts(snapshot, teams)
    visit_conflict = _team_visit_conflicts(snapshot, teams)
    rank = np.empty(n_teams, dtype=np.int64)
    rank[random_order(seed, f"{ALGORITHM_VERSION}/teams", np.arange(n_teams, dtype=np.int64))] = np.arange(n_teams)
    key = rank.copy()  # load * n_teams + rank: argmin = least loaded, then earliest in the random order
    blocked_key = np.iinfo(np.int64).max
    assigned: list[list[int]] = [[] for _ in range(n_teams)]
    unassigned = []
    order = random_order(seed, f"{ALGORITHM_VERSION}/order", snapshot.entity_ids[chosen])
    for pos in chosen[order]:
        grid = snapshot.entity_grids[pos]
        blocked = grid_conflict[:, grid] if grid >= 0 else None
        extra = visit_conflict.get(int(snapshot.entity_ids[pos]))
        if blocked is None and extra is None:
            t = int(np.argmin(key))
        else:
            masked = key.copy() if blocked is None else np.where(blocked, blocked_key, key)
            if extra is not None:
                masked[extra] = blocked_key
            t = int(np.argmin(masked))
            if masked[t] == blocked_key:
                unassigned.append(pos)
                continue
        assigned[t].append(int(pos))
        key[t] += n_teams
    return assigned, unassigned


def _team_grid_conflicts(snapshot: Snapshot, teams) -> np.ndarray:
    index = {code: i for i, code in enumerate(snapshot.grid_codes)}
    conflict = np.zeros((len(teams), max(1, len(snapshot.grid_codes))), dtype=bool)
    for t, members in enumerate(teams):
        for inspector in members:
            cols = [index[g] for g in inspector.grids if g in index]
            conflict[t, cols] = True
    return conflict


def _team_visit_conflicts(snapshot: Snapshot, teams) -> dict[int, list[int]]:
    team_of = {i.id: t for t, members in enumerate(teams) for i in members}
    out: dict[int, list[int]] = {}
    for inspector_id, entity_id in snapshot.visits:
        if inspector_id in team_of:
            out.setdefault(entity_id, []).append(team_of[inspector_id])
    return out


# ---------------------------------------------------------------- verification


@dataclass(frozen=True)
class Verification:
    ok: bool
    checks: dict  # name → bool
    message: str


def verify(*, snapshot_json: dict, snapshot_hash: str, seed_hex: str, algorithm_version: str,
           result: dict, result_hash: str) -> Verification:
    """Re-run a stored draw and compare: snapshot hash, stored result hash, re-run result hash."""
    snapshot = decode_snapshot(snapshot_json)
    checks = {"snapshot_sha256": snapshot_sha256(snapshot) == snapshot_hash,
              "result_sha256": result_sha256(result) == result_hash}
    try:
        rerun = draw(snapshot, bytes.fromhex(seed_hex), algorithm_version=algorithm_version)
        checks["rerun_matches"] = canonical_json(rerun) == canonical_json(result) and result_sha256(rerun) == result_hash
    except DrawError:
        checks["rerun_matches"] = False
    ok = all(checks.values())
    failed = [name for name, good in checks.items() if not good]
    message = ("重新抽取结果与存档完全一致 / the re-run reproduces the stored draw bit for bit" if ok else
               f"校验失败 / verification failed: {', '.join(failed)}")
    return Verification(ok, checks, message)
