"""The registrar's address-check page (地址比对)."""

from flask import Blueprint, render_template

bp = Blueprint("address_page", __name__)


@bp.get("/address-check")
def address_check():
    return render_template("address_check.html")
