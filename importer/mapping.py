"""Headers → fields: the synonyms departments use, and a small mapping file that overrides them.

A mapping file (TOML) names headers the synonyms do not know, or ignores a column::

    # 东莞市监局导出表
    [columns]
    "纳税人识别号" = "uscc"
    "企业(个体)名称" = "name"
    "备用地址" = "-"          # never use this column

Header text is compared after :func:`normalize_header`; docs/IMPORT.md lists every synonym.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from importer.errors import ImportRejected
from importer.kinds import Kind

IGNORE = "-"
_BRACKETS = re.compile(r"[(\[（【][^)\]）】]*[)\]）】]")
_NOISE = re.compile(r"[\s*＊:：_\-·.]+")


def normalize_header(text: str) -> str:
    """Compare-form of a header: NFKC, lower case, bracketed units and notes, spaces, ``*`` and colons gone.

    >>> normalize_header(" 罚款金额（元）* ")
    '罚款金额'
    """
    folded = unicodedata.normalize("NFKC", str(text)).lower().strip()
    without_units = _BRACKETS.sub("", folded) or folded
    return _NOISE.sub("", without_units)


@dataclass
class Mapping:
    """Which column feeds which field, and what was left out."""

    columns: dict[str, str]  # field → column header as in the file
    ignored: list[str] = field(default_factory=list)  # headers no field uses
    duplicates: dict[str, list[str]] = field(default_factory=dict)  # field → further headers that also named it

    def missing(self, kind: Kind) -> list[str]:
        return [f.name for f in kind.fields if f.required and f.name not in self.columns]


def synonyms(kind: Kind) -> dict[str, str]:
    """normalised header → field name, for one kind (exact field names are accepted too)."""
    table = {normalize_header(f.name): f.name for f in kind.fields}
    for f in kind.fields:
        for word in f.synonyms:
            table.setdefault(normalize_header(word), f.name)
    return table


def header_scorer(kind: Kind, overrides: dict[str, str] | None = None):
    """A function counting how many header cells name a field of ``kind`` (for readers.find_header)."""
    known = synonyms(kind)
    known.update({normalize_header(h): f for h, f in (overrides or {}).items() if f != IGNORE})
    return lambda cells: len({known[n] for n in map(normalize_header, cells) if n in known})


def resolve(headers: list[str], kind: Kind, overrides: dict[str, str] | None = None) -> Mapping:
    """Map the file's headers to fields; the first column naming a field wins, later ones are listed."""
    known = synonyms(kind)
    forced = {normalize_header(h): f for h, f in (overrides or {}).items()}
    mapping = Mapping({})
    for header in headers:
        key = normalize_header(header)
        name = forced.get(key, known.get(key))
        if name is None or name == IGNORE:
            mapping.ignored.append(header)
        elif name in mapping.columns:
            mapping.duplicates.setdefault(name, []).append(header)
        else:
            mapping.columns[name] = header
    return mapping


def load_mapping_file(path: Path, kind: Kind) -> dict[str, str]:
    """The ``[columns]`` table of a TOML mapping file, checked against the kind's fields."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ImportRejected(f"映射文件无法读取：{path.name}", f"cannot read mapping file {path.name}: {exc}") from None
    columns = data.get("columns", {})
    names = {f.name for f in kind.fields} | {IGNORE}
    unknown = sorted({v for v in columns.values() if v not in names})
    if not isinstance(columns, dict) or unknown:
        raise ImportRejected(f"映射文件中有未知字段：{'、'.join(map(str, unknown))}",
                             f"mapping file names unknown fields {unknown}; known: {sorted(names)}")
    return {str(k): str(v) for k, v in columns.items()}
