"""The start page: what MarketMap offers, by job, with links to each page."""

from flask import Blueprint, render_template

from app.auth import current_viewer

bp = Blueprint("home_page", __name__)


@bp.get("/")
def index():
    return render_template("home.html", viewer=current_viewer())
