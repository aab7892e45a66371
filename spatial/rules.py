"""The restricted-trade rules (which trades may not open near which sensitive places), from TOML.

The rules live in ``spatial/sensitive_places.toml`` so officials can edit them without touching
code; ``load_rules()`` reads and checks that file once per process.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from spatial.errors import SpatialError, UnknownCategory

DECISIONS = ("refuse", "warn")


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    categories: frozenset[str]
    near_kinds: tuple[str, ...]
    radius_m: float
    decision: str
    basis: str


@dataclass(frozen=True)
class RuleSet:
    version: str
    categories: tuple[str, ...]
    place_kinds: dict[str, str]
    industry_categories: dict[str, str]
    rules: tuple[Rule, ...]

    def check_categories(self, names) -> list[str] | None:
        """The given category names, each checked against the known ones (None stays None)."""
        return check_known(names, self.categories, "类别 / category")

    def check_place_kinds(self, kinds) -> list[str] | None:
        """The given POI kinds, each checked against the rules file's place kinds (None stays None)."""
        return check_known(kinds, tuple(self.place_kinds), "场所类型 / place kind")

    def category_of(self, industry: str) -> str | None:
        """The restricted category of an industry given as a category name or a GB/T 4754 code."""
        industry = industry.strip()
        if industry in self.categories:
            return industry
        if industry.isdigit() and 2 <= len(industry) <= 4:
            return self.industry_categories.get(industry)
        if industry.isdigit():
            raise SpatialError(f"行业代码应为2-4位数字 / industry code must have 2-4 digits, got {industry!r}")
        return None

    def rules_for(self, category: str | None) -> list[Rule]:
        return [r for r in self.rules if category in r.categories]


def check_known(names, known: tuple[str, ...], what: str, *, error: type[Exception] = UnknownCategory):
    """``names`` as a list if every one is in ``known`` (None stays None), else ``error`` naming the first."""
    if names is None:
        return None
    unknown = [n for n in names if n not in known]
    if unknown:
        raise error(f"未知{what} {unknown[0]!r}; 可选 / known: {', '.join(known)}")
    return list(names)


@lru_cache(maxsize=4)
def load_rules(path: str | None = None) -> RuleSet:
    """The rule set from ``path`` or the packaged ``sensitive_places.toml``; raises ValueError if malformed."""
    raw = Path(path).read_bytes() if path else resources.files("spatial").joinpath("sensitive_places.toml").read_bytes()
    data = tomllib.loads(raw.decode("utf-8"))
    categories = tuple(data["categories"])
    rules = tuple(_rule(r, categories, data["place_kinds"]) for r in data.get("rule", []))
    return RuleSet(version=str(data["version"]), categories=categories, place_kinds=dict(data["place_kinds"]),
                   industry_categories=dict(data.get("industry_categories", {})), rules=rules)


def _rule(raw: dict, categories: tuple[str, ...], place_kinds: dict) -> Rule:
    rule = Rule(id=raw["id"], title=raw["title"], categories=frozenset(raw["categories"]),
                near_kinds=tuple(raw["near_kinds"]), radius_m=float(raw["radius_m"]),
                decision=raw["decision"], basis=raw.get("basis", ""))
    if rule.decision not in DECISIONS or not rule.categories <= set(categories) \
            or not set(rule.near_kinds) <= set(place_kinds) or rule.radius_m <= 0:
        raise ValueError(f"sensitive_places.toml: rule {rule.id!r} is inconsistent")
    return rule
