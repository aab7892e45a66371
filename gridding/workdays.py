"""Working days in mainland China: Monday–Friday, less public holidays, plus adjusted working
weekends (调休), from ``holidays_cn.csv`` beside this module (see its header for sources)."""

from __future__ import annotations

import csv
import datetime as dt
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def _calendar() -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    text = resources.files("gridding").joinpath("holidays_cn.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    off, work = set(), set()
    for row in rows:
        (off if row["kind"] == "off" else work).add(dt.date.fromisoformat(row["date"]))
    return frozenset(off), frozenset(work)


def is_working_day(day: dt.date) -> bool:
    off, work = _calendar()
    if day in work:
        return True
    return day.weekday() < 5 and day not in off


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself is not counted).

    >>> add_working_days(dt.date(2025, 3, 7), 10)  # a Friday: two weekends later
    datetime.date(2025, 3, 21)
    """
    day, left = start, days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day
