"""USCC (统一社会信用代码) check characters, validation and assembly: pure functions, no database."""

import numpy as np
import pytest

from app.demo.uscc import is_valid_uscc, make_uscc, make_usccs, org_check_char, random_org_bodies, uscc_check_char

REAL_CODES = ["91500000202805720T", "9144030071526726XG", "91350100M000100Y43"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_published_codes_are_valid(code):
    assert is_valid_uscc(code)
    assert uscc_check_char(code[:17]) == code[17]


@pytest.mark.parametrize("code, why", [
    ("91500000202805720A", "wrong check character"),
    ("91500000202805720", "17 characters"),
    ("91500000202805720TT", "19 characters"),
    ("9150000020280572OT", "letter O is not in the alphabet"),
    ("91500000202805720t", "lower case"),
    ("", "empty"),
    (None, "not a string"),
])
def test_invalid_codes_are_refused(code, why):
    assert not is_valid_uscc(code), why


def test_org_code_check_char_follows_gb_11714():
    assert org_check_char("20280572") == "0"
    assert org_check_char("71526726") == "X"
    assert is_valid_uscc("9144030071526726XG", check_org_code=True)


def test_make_uscc_round_trips():
    code = make_uscc("9", "1", "500112", "MA5U0000")
    assert code.startswith("91500112MA5U0000") and len(code) == 18
    assert is_valid_uscc(code, check_org_code=True)


def test_vectorised_codes_match_the_scalar_function():
    bodies = random_org_bodies(np.random.default_rng(1), 500)
    prefixes = np.where(np.arange(500) % 2 == 0, "91", "92")
    codes = make_usccs(prefixes, "500112", bodies)
    assert list(codes) == [make_uscc(p[0], p[1], "500112", b) for p, b in zip(prefixes, bodies, strict=True)]
    assert len(set(codes)) == 500


def test_uscc_check_char_refuses_bad_input():
    with pytest.raises(ValueError):
        uscc_check_char("9150000020280572I")
