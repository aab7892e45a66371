"""The school-perimeter page (校园周边检索): pick a school or click the map, set a radius."""

from flask import Blueprint, render_template

from spatial.rules import load_rules
from spatial.search import MAX_RADIUS_M

bp = Blueprint("perimeter_page", __name__)


@bp.get("/perimeter")
def perimeter_page():
    rules = load_rules()
    return render_template("perimeter.html", categories=rules.categories, max_radius_m=int(MAX_RADIUS_M))
