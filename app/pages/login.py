"""Login and logout pages (登录): a form posting to itself, CSRF-checked; lock-out is in app.accounts."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session

from app import accounts
from app.auth import current_viewer, login_settings, remote_addr
from app.db import get_session
from app.security import csrf_valid, sign_in, write_audit

bp = Blueprint("login_page", __name__)

MESSAGES = {
    "bad_credentials": "用户名或密码错误。",
    "locked": "登录失败次数过多，账户已暂时锁定，请稍后再试。",
    "disabled": "用户名或密码错误。",  # do not tell a guesser which accounts exist
    "csrf": "页面已过期，请重新输入后提交。",
}


@bp.route("/login", methods=["GET", "POST"])
def login():
    target = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("login.html", next=target, error=None, username="")
    username = request.form.get("username", "")[:64]
    if not csrf_valid():
        return render_template("login.html", next=target, error=MESSAGES["csrf"], username=username), 400
    max_failures, lock_minutes = login_settings()
    db_session = get_session()
    result = accounts.authenticate(db_session, username=username, password=request.form.get("password", "")[:1024],
                                   remote_addr=remote_addr(), max_failures=max_failures, lock_minutes=lock_minutes)
    db_session.commit()  # failures and lock-outs count even though the login is refused
    if not result.ok:
        current_app.logger.info("login refused for %r: %s", username, result.reason)
        return render_template("login.html", next=target, error=MESSAGES[result.reason], username=username), 401
    sign_in(result.user)
    return redirect(target)


@bp.post("/logout")
def logout():
    # CSRF was checked by app.security for a signed-in session; a stale session just ends.
    if current_viewer().signed_in:
        write_audit(action="logout", object_type="app_user", object_id=current_viewer().user_id)
    session.clear()
    return redirect("/login")


def _safe_next(target: str | None) -> str:
    """Only paths on this site: never //host or a scheme (open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
