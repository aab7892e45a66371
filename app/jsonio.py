"""JSON as API clients expect it: numbers for NUMERIC columns, ISO 8601 for dates, Chinese unescaped."""

from __future__ import annotations

import datetime as dt
import decimal

from flask.json.provider import DefaultJSONProvider


class JSONProvider(DefaultJSONProvider):
    ensure_ascii = False

    @staticmethod
    def default(o):
        if isinstance(o, decimal.Decimal):
            return float(o)
        if isinstance(o, (dt.datetime, dt.date)):
            return o.isoformat()
        return DefaultJSONProvider.default(o)
