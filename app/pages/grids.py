"""The grid page (网格详情): map of one grid, its people, counts and entities."""

from flask import Blueprint, render_template

bp = Blueprint("grid_page", __name__)


@bp.get("/grids/<code>")
def grid_page(code: str):
    return render_template("grid.html", code=code)
