"""The building-economy page: 3D buildings coloured by a measure, rankings beside them."""

from flask import Blueprint, render_template

bp = Blueprint("economy_page", __name__)


@bp.get("/economy")
def economy_page():
    return render_template("economy.html")
