"""Errors of the import: a whole file refused, with the reason in Chinese and English."""

from __future__ import annotations


class ImportRejected(ValueError):
    """The file as a whole cannot be imported (unreadable, no recognisable header, CRS not declared…).

    Row-level problems never raise: they go to the reject report. ``str(exc)`` is "中文 / English".
    """

    def __init__(self, reason_zh: str, reason_en: str):
        super().__init__(f"{reason_zh} / {reason_en}")
        self.reason_zh = reason_zh
        self.reason_en = reason_en
