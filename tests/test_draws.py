"""The pure double-random draw: ratios, conflict rules, balance, reproducibility, verification, routes."""

from __future__ import annotations

import hashlib
import hmac
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supervision import draws
from supervision.draws import DrawError, Inspector, build_snapshot, draw
from supervision.routes import distance_matrix_m, order_route, path_length_m

SEED = bytes(range(32))
DEPTS = ("市场监管局", "卫健委", "消防")


def make_snapshot(n=500, n_inspectors=30, *, grids=20, ratios=None, team_size=2, departments=DEPTS[:1],
                  visits=(), inspector_grids=1, seed=1):
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.arange(1, 10 * n + 1), n, replace=False)
    classes = rng.choice(list("ABCD"), n, p=[0.6, 0.2, 0.15, 0.05])
    codes = [f"G{i:03d}" for i in range(grids)]
    entity_grids = [codes[i] if i < grids else None for i in rng.integers(0, grids + 1, n)]
    inspectors = [Inspector(1000 + i, departments[i % len(departments)],
                            tuple(rng.choice(codes, inspector_grids, replace=False)) if inspector_grids else ())
                  for i in range(n_inspectors)]
    return build_snapshot(entity_ids=ids, entity_classes=classes, entity_grids=entity_grids, inspectors=inspectors,
                          visits=visits, departments=departments, ratios_percent=ratios, team_size=team_size)


# ---------------------------------------------------------------- ratios and the rounding rule


@pytest.mark.parametrize(("population", "percent", "expected"), [
    (0, 2, 0), (1, 2, 1), (49, 2, 1), (50, 2, 1), (51, 2, 2), (100, 2, 2), (101, 5, 6), (7, 100, 7),
    (1000, 0.5, 5), (999, 0.5, 5), (1_000_000, 2, 20_000), (1_000_001, 2, 20_001), (10, 0, 0),
])
def test_drawn_count_is_the_ceiling_of_the_ratio(population, percent, expected):
    bp = int(round(percent * 100))
    assert draws.drawn_count(population, bp) == expected
    assert expected >= population * bp / 10000 > expected - 1 or expected == 0


@given(st.integers(0, 3000), st.integers(0, 10000))
def test_drawn_count_never_below_and_at_most_one_above(population, bp):
    k = draws.drawn_count(population, bp)
    assert k * 10000 >= population * bp
    assert (k - 1) * 10000 < population * bp or k == 0
    assert k <= population


def test_each_class_drawn_exactly_by_its_ratio_and_d_always_all():
    snapshot = make_snapshot(n=3000, n_inspectors=60, ratios={"A": 3, "B": 12.5, "C": 40})
    result = draw(snapshot, SEED)
    for i, cls in enumerate(draws.CLASSES):
        population = int((snapshot.entity_classes == i).sum())
        assert result["population"][cls] == population
        assert len(result["selected"][cls]) == result["drawn"][cls] == draws.drawn_count(population, snapshot.ratios_bp[i])
    assert result["drawn"]["D"] == result["population"]["D"] > 0


@pytest.mark.parametrize("ratios", [{"A": 101}, {"B": -1}, {"C": "abc"}, {"A": 2.555}, {"D": 50}, {"E": 3}])
def test_bad_ratios_are_refused(ratios):
    with pytest.raises(DrawError):
        draws.ratios_to_bp(ratios)


def test_defaults_are_2_5_20_100_percent():
    assert draws.ratios_to_bp(None) == (200, 500, 2000, 10000)


def test_empty_scope_and_missing_inspectors_are_refused():
    with pytest.raises(DrawError, match="no entities"):
        draw(make_snapshot(n=0), SEED)
    with pytest.raises(DrawError, match="not enough inspectors"):
        draw(make_snapshot(n_inspectors=1), SEED)
    with pytest.raises(DrawError, match="one per department"):
        draw(make_snapshot(departments=DEPTS, team_size=2), SEED)


# ---------------------------------------------------------------- conflict rules (property-based)


def _check_rules(snapshot, result):
    grid_of = {int(i): (snapshot.grid_codes[g] if g >= 0 else None)
               for i, g in zip(snapshot.entity_ids, snapshot.entity_grids, strict=True)}
    inspectors = {i.id: i for i in snapshot.inspectors}
    visits = set(snapshot.visits)
    seen_inspectors, seen_entities = set(), set()
    for team in result["teams"]:
        members = [inspectors[i] for i in team["inspectors"]]
        assert len(members) == snapshot.team_size
        assert {m.department for m in members} == set(snapshot.departments)  # joint: every department
        assert not seen_inspectors & set(team["inspectors"])
        seen_inspectors |= set(team["inspectors"])
        for eid in team["entities"]:
            for m in members:
                assert grid_of[eid] not in m.grids, "inspector sent to an entity in their own grid"
                assert (m.id, eid) not in visits, "inspector sent twice to an entity within a year"
            assert eid not in seen_entities
            seen_entities.add(eid)
    selected = {e for ids in result["selected"].values() for e in ids}
    assert seen_entities | set(result["unassigned"]) == selected
    assert not seen_entities & set(result["unassigned"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 400), n_inspectors=st.integers(2, 40), grids=st.integers(1, 12),
       inspector_grids=st.integers(0, 4), team_size=st.integers(2, 4), n_depts=st.integers(1, 2),
       seed=st.integers(0, 2**16), n_visits=st.integers(0, 300), rng_seed=st.binary(min_size=16, max_size=32))
def test_conflict_rules_are_never_violated(n, n_inspectors, grids, inspector_grids, team_size, n_depts, seed,
                                           n_visits, rng_seed):
    inspector_grids = min(inspector_grids, grids)
    base = make_snapshot(n=n, n_inspectors=n_inspectors, grids=grids, team_size=max(team_size, n_depts),
                         departments=DEPTS[:n_depts], inspector_grids=inspector_grids, seed=seed)
    rng = np.random.default_rng(seed)
    visits = [(int(rng.choice([i.id for i in base.inspectors])), int(rng.choice(base.entity_ids)))
              for _ in range(n_visits)]
    snapshot = make_snapshot(n=n, n_inspectors=n_inspectors, grids=grids, team_size=max(team_size, n_depts),
                             departments=DEPTS[:n_depts], inspector_grids=inspector_grids, seed=seed, visits=visits)
    try:
        result = draw(snapshot, rng_seed)
    except DrawError:
        return  # not enough inspectors for one team: refused, never a broken draw
    _check_rules(snapshot, result)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 600), n_inspectors=st.integers(2, 60), seed=st.binary(min_size=16, max_size=32))
def test_workload_is_balanced_when_no_rule_binds(n, n_inspectors, seed):
    snapshot = make_snapshot(n=n, n_inspectors=n_inspectors, inspector_grids=0)
    result = draw(snapshot, seed)
    loads = [len(t["entities"]) for t in result["teams"]]
    assert max(loads) - min(loads) <= 1
    assert not result["unassigned"]


def test_an_entity_every_team_conflicts_with_is_left_unassigned():
    snapshot = build_snapshot(entity_ids=[1, 2], entity_classes=["D", "D"], entity_grids=["G1", "G2"],
                              inspectors=[Inspector(10, "市场监管局", ("G1",)), Inspector(11, "市场监管局")],
                              departments=["市场监管局"])
    result = draw(snapshot, SEED)
    assert result["unassigned"] == [1]
    assert result["teams"][0]["entities"] == [2]


# ---------------------------------------------------------------- reproducibility and verification


def test_same_input_same_bytes_and_another_seed_another_draw():
    a, b = draw(make_snapshot(), SEED), draw(make_snapshot(), SEED)
    assert draws.canonical_json(a) == draws.canonical_json(b)
    assert draws.canonical_json(draw(make_snapshot(), bytes(32))) != draws.canonical_json(a)


def test_drbg_is_hmac_sha256_in_counter_mode():
    expected = hmac.new(SEED, b"draw-1/order\x00" + (1).to_bytes(8, "big"), hashlib.sha256).digest()
    assert draws.Drbg(SEED, "draw-1/order").read(64)[32:] == expected


def test_input_order_does_not_matter():
    snapshot = make_snapshot()
    order = np.random.default_rng(3).permutation(len(snapshot.entity_ids))
    shuffled = build_snapshot(
        entity_ids=snapshot.entity_ids[order], entity_classes=snapshot.entity_classes[order],
        entity_grids=[snapshot.grid_codes[g] if g >= 0 else None for g in snapshot.entity_grids[order]],
        inspectors=list(reversed(snapshot.inspectors)), departments=snapshot.departments, team_size=2)
    assert draws.snapshot_sha256(shuffled) == draws.snapshot_sha256(snapshot)


def _stored(snapshot, seed=SEED):
    result = draw(snapshot, seed)
    # what PostgreSQL's jsonb gives back: a JSON round trip
    return dict(snapshot_json=json.loads(json.dumps(draws.encode_snapshot(snapshot))),
                snapshot_hash=draws.snapshot_sha256(snapshot), seed_hex=seed.hex(),
                algorithm_version=draws.ALGORITHM_VERSION, result=json.loads(json.dumps(result)),
                result_hash=draws.result_sha256(result))


def test_verification_reproduces_the_draw_bit_for_bit():
    check = draws.verify(**_stored(make_snapshot(n=2000, n_inspectors=50)))
    assert check.ok, check.message
    assert check.checks == {"snapshot_sha256": True, "result_sha256": True, "rerun_matches": True}


def test_verification_detects_a_tampered_result():
    stored = _stored(make_snapshot())
    team = stored["result"]["teams"][0]
    team["entities"][0] = 999_999
    assert not draws.verify(**stored).ok
    stored = _stored(make_snapshot())
    stored["result"]["teams"][0]["entities"].pop()
    stored["result_hash"] = draws.result_sha256(stored["result"])  # even with a matching hash
    check = draws.verify(**stored)
    assert not check.ok and check.checks["rerun_matches"] is False


def test_verification_detects_a_changed_snapshot():
    snapshot = make_snapshot()
    stored = _stored(snapshot)
    classes = snapshot.entity_classes.copy()
    classes[0] = 3
    forged = draws.Snapshot(snapshot.entity_ids, classes, snapshot.entity_grids, snapshot.grid_codes,
                            snapshot.inspectors, snapshot.visits, snapshot.departments, snapshot.ratios_bp,
                            snapshot.team_size)
    stored["snapshot_json"] = json.loads(json.dumps(draws.encode_snapshot(forged)))
    check = draws.verify(**stored)
    assert not check.ok and check.checks["snapshot_sha256"] is False
    stored["snapshot_hash"] = draws.snapshot_sha256(forged)  # a forger who also rewrites the hash
    assert not draws.verify(**stored).ok


def test_snapshot_round_trips_through_its_compact_form():
    snapshot = make_snapshot(n=5000, visits=[(1000, 5)])
    back = draws.decode_snapshot(json.loads(json.dumps(draws.encode_snapshot(snapshot))))
    assert draws.snapshot_sha256(back) == draws.snapshot_sha256(snapshot)
    assert np.array_equal(back.entity_ids, snapshot.entity_ids)


# ---------------------------------------------------------------- routes


def test_route_along_a_street_visits_in_order():
    lon = np.array([106.50, 106.53, 106.51, 106.54, 106.52])
    lat = np.full(5, 29.6)
    path = order_route(distance_matrix_m(lon, lat), start=0)
    assert [lon[i] for i in path] == sorted(lon)


def test_two_opt_never_lengthens_nearest_neighbour_and_distances_are_metres():
    rng = np.random.default_rng(5)
    lon, lat = 106.5 + rng.random(40) * 0.1, 29.6 + rng.random(40) * 0.1
    dist = distance_matrix_m(lon, lat)
    nn = order_route(dist, max_passes=0)
    improved = order_route(dist)
    assert sorted(improved) == list(range(40)) and improved[0] == 0
    assert path_length_m(dist, improved) <= path_length_m(dist, nn)
    one_degree_lat = distance_matrix_m(np.array([106.5, 106.5]), np.array([29.0, 30.0]))[0, 1]
    assert one_degree_lat == pytest.approx(111_195, rel=1e-3)
