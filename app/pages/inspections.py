"""The double-random inspection pages: plans and draws on the map (officials), disclosure (public)."""

from flask import Blueprint, render_template

bp = Blueprint("inspections_page", __name__)


@bp.get("/inspections")
def inspections_page():
    return render_template("inspections.html")


@bp.get("/inspections/public")
def inspections_public():
    return render_template("inspections_public.html")
