"""Building economy (楼宇经济): output, employment and tax per building, grid, community, street, district.

Aggregates live in materialized views (``economy_building``, ``economy_area``, ``economy_entities``)
refreshed after imports and grid activation, never computed per request.
"""

from economy.aggregates import LEVELS, MEASURES, EconomyError, building_detail, refresh, summary
from economy.choropleth import choropleth

__all__ = ["LEVELS", "MEASURES", "EconomyError", "building_detail", "choropleth", "refresh", "summary"]
