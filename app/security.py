"""Request-level security, bound once by ``init_security(app)``: who is asking (session or API token),
CSRF, the route policy of app.auth, rate limits for the public, body size limits, security headers,
secure session cookies, and the audit of non-public reads.

CSRF rule: a state-changing request (POST/PUT/PATCH/DELETE) needs the session's token (form field
``csrf_token`` or header ``X-CSRF-Token``) exactly when a session cookie identifies a signed-in user,
and always on the login form. Requests with ``Authorization: Bearer`` carry no ambient authority and
need none; neither does a cookie-less public POST (e.g. a citizen's complaint): it acts as nobody.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
from urllib.parse import quote

from flask import Flask, current_app, g, has_request_context, redirect, request, session
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy.exc import OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from app import accounts
from app.auth import UNCLASSIFIED_POLICY, Viewer, current_viewer, policy_for
from app.db import get_db, get_session
from app.errors import ApiError, error_response
from app.ratelimit import PublicRateLimit
from models.users import AppUser
from supervision.audit import record

SESSION_COOKIE = "marketmap_session"

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
API_PREFIXES = ("/api/", "/tiles/", "/ogc", "/healthz")
MAX_READS_LISTED = 200
BIGINT_MAX = 2**63 - 1

CSP = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'",
    "worker-src 'self' blob:", "child-src 'self' blob:", "object-src 'none'", "base-uri 'self'",
    "frame-ancestors 'none'", "form-action 'self'",
))
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)
_SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                     ("Referrer-Policy", "same-origin"), ("Cross-Origin-Opener-Policy", "same-origin"))
_HSTS_HEADERS = (*_SECURITY_HEADERS, ("Strict-Transport-Security", "max-age=31536000"))


def init_security(app: Flask) -> None:
    _configure(app)
    app.session_interface = _SessionInterface()
    app.jinja_env.globals["csrf_token"] = csrf_token
    # Order matters: who is asking must be known before the rate limiter decides whom to exempt.
    for hook in (_limit_body, _check_parameters, _load_viewer, _check_csrf, _enforce_policy):
        app.before_request(hook)
    app.extensions["marketmap.limiter"] = PublicRateLimit(app)
    app.after_request(_audit_nonpublic_reads)
    app.after_request(_security_headers)
    app.register_error_handler(OperationalError, _database_error)


def _configure(app: Flask) -> None:
    env = os.environ
    cfg = app.config
    cfg.setdefault("LOGIN_MAX_FAILURES", int(env.get("MARKETMAP_LOGIN_MAX_FAILURES", "5")))
    cfg.setdefault("LOGIN_LOCK_MINUTES", int(env.get("MARKETMAP_LOGIN_LOCK_MINUTES", "15")))
    cfg.setdefault("RATE_LIMIT", env.get("MARKETMAP_RATE_LIMIT", "600 per minute"))
    cfg.setdefault("RATELIMIT_ENABLED", not cfg.get("TESTING"))
    cfg.setdefault("MAX_BODY_BYTES", int(env.get("MARKETMAP_MAX_BODY_KB", "1024")) * 1024)  # non-upload bodies
    cfg.setdefault("MAX_FORM_MEMORY_SIZE", 1024 * 1024)
    cfg.setdefault("HTTPS", env.get("MARKETMAP_HTTPS") == "1")
    cfg.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_NAME=SESSION_COOKIE,
               SESSION_COOKIE_SECURE=bool(cfg["HTTPS"]), PERMANENT_SESSION_LIFETIME=8 * 3600)
    if cfg.get("DEBUG") and not cfg.get("TESTING") and env.get("MARKETMAP_ENV", "production") == "production":
        raise RuntimeError("DEBUG is refused in production: the Werkzeug debugger would run code for anyone")
    cfg.setdefault("BEHIND_PROXY", env.get("MARKETMAP_BEHIND_PROXY") == "1")


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure when configured for HTTPS or the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)

    # Most API requests carry no cookie: they skip building the signing serializer and the cookie
    # settings, about 0.04 ms of a radius search's hooks.
    def open_session(self, app: Flask, request):
        if app.secret_key and not request.cookies.get(app.config["SESSION_COOKIE_NAME"]):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        if not session and not session.modified:  # nothing to set or delete
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def wrap_proxy(app: Flask) -> None:
    """Behind a proxy (MARKETMAP_BEHIND_PROXY=1, and only then: otherwise anyone could claim any address)
    trust one hop of X-Forwarded-For/-Proto/-Host. Applied last, around the WSGI fast paths too, which
    count the client's address for the rate limit."""
    if app.config["BEHIND_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)


def csrf_token() -> str:
    """The session's CSRF token (created on first use); pages put it in forms and a meta tag."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_valid() -> bool:
    supplied = request.headers.get("X-CSRF-Token")
    if supplied is None and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        supplied = request.form.get("csrf_token")
    expected = session.get("csrf")
    return bool(expected and supplied) and hmac.compare_digest(expected.encode(), supplied.encode())


def sign_in(user: AppUser) -> None:
    """Start a fresh session for ``user`` (a new CSRF token too: nothing survives from before login)."""
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["csrf"] = secrets.token_urlsafe(32)


def write_audit(*, action: str, object_type: str | None = None, object_id=None, detail: dict | None = None,
                viewer: Viewer | None = None) -> None:
    """Record and commit one audit entry now, apart from the request's own transaction (logins, reads,
    denials must be kept even when the request fails)."""
    viewer = viewer or current_viewer()
    db = get_db()
    kwargs = dict(actor=viewer.username or "public", role=viewer.role, action=action, object_type=object_type,
                  object_id=object_id, detail=detail, remote_addr=request.remote_addr)
    if not db.owns_sessions:  # tests hand in one session they roll back
        record(get_session(), **kwargs)
        get_session().commit()
        return
    with db.sessionmaker() as side:
        record(side, **kwargs)
        side.commit()


# --- before_request hooks, in order ---------------------------------------------------------------

def _limit_body():
    limit = current_app.config["MAX_BODY_BYTES"]
    if (request.content_length or 0) > limit and request.mimetype != "multipart/form-data":
        raise ApiError(f"请求体过大（上限 {limit // 1024} KB） / request body too large", status=413,
                       code="request_too_large")


def _check_parameters():
    # What PostgreSQL cannot take is refused here once, not as a DataError (500) in every query:
    # ids beyond bigint name nothing that exists, and text cannot hold NUL.
    if any(isinstance(v, int) and not -BIGINT_MAX <= v <= BIGINT_MAX for v in (request.view_args or {}).values()):
        raise ApiError("没有这个对象 / no such object", status=404, code="not_found")
    values = [*request.args.values(), *(request.view_args or {}).values(), request.path]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values, body = values + list(request.form.values()), b""
    else:
        body = request.get_data(cache=True)
    if any(isinstance(v, str) and "\x00" in v for v in values) or b"\x00" in body or b"\\u0000" in body:
        raise ApiError("参数不能包含 NUL 字符 / parameters must not contain NUL characters", code="invalid_input")


def _load_viewer():
    g.auth_method = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise ApiError("Authorization 应为 Bearer 令牌 / use Authorization: Bearer <token>", status=401,
                           code="invalid_token")
        g.viewer, g.auth_method = _viewer_for_token(secret.strip()), "token"
        return
    uid = session.get("uid")
    if uid is None:
        return
    user = get_session().get(AppUser, uid)
    if user is None or user.disabled:
        session.clear()
        return
    g.viewer, g.auth_method = _viewer(user), "session"


def _viewer_for_token(secret: str) -> Viewer:
    db = get_db()
    if db.owns_sessions:
        with db.sessionmaker() as side:
            found = accounts.user_for_token(side, secret)
            side.commit()
    else:
        found = accounts.user_for_token(get_session(), secret)
    if found is None:
        raise ApiError("令牌无效或已吊销 / invalid or revoked token", status=401, code="invalid_token")
    return _viewer(found[0])


def _viewer(user: AppUser) -> Viewer:
    return Viewer(role=user.role, username=user.username, grid_codes=frozenset(user.grid_codes), user_id=user.id)


def _check_csrf():
    if request.method in SAFE_METHODS or g.auth_method != "session":
        return
    if request.endpoint == "login_page.login":
        return  # the login view checks its form's token itself, to answer with the form again
    if not csrf_valid():
        raise ApiError("CSRF 校验失败，请刷新页面 / missing or wrong CSRF token", status=403, code="csrf_failed")


def _enforce_policy():
    if request.url_rule is None:
        return  # 404 / 405: nothing to protect
    level = policy_for(request.endpoint, request.method)
    if level is None:
        log.warning("endpoint %s has no entry in app.auth.ROUTE_POLICY: staff only", request.endpoint)
        level = UNCLASSIFIED_POLICY
    viewer = current_viewer()
    if viewer.at_least(level):
        if level in ("supervisor", "official", "admin") and request.method in SAFE_METHODS:
            g.audit_route_read = True  # the whole route is non-public data
        return
    if not viewer.signed_in:
        if request.method == "GET" and not request.path.startswith(API_PREFIXES):
            return redirect(f"/login?next={quote(request.full_path.rstrip('?'), safe='/?=&')}")
        return error_response(401, "unauthorized", "请先登录 / sign in first", needs_role=level)
    write_audit(action="access_denied", object_type="route", object_id=request.endpoint,
                detail={"path": request.path, "method": request.method, "needs": level})
    return error_response(403, "forbidden", f"需要 {level} 或更高角色 / requires role {level} or higher",
                          needs_role=level)


# --- after_request hooks ---------------------------------------------------------------------------

def _audit_nonpublic_reads(response):
    reads = g.pop("nonpublic_reads", None)
    route_read = g.pop("audit_route_read", False)
    viewer = current_viewer()
    if not viewer.signed_in or response.status_code >= 400 or not (reads or route_read):
        return response
    detail = {"path": request.path, "query": request.query_string.decode("utf-8", "replace")[:500],
              "status": response.status_code}
    if reads:
        objects = list(reads)
        detail.update(count=len(objects), objects=objects[:MAX_READS_LISTED])
    write_audit(action="read_nonpublic", object_type="route", object_id=request.endpoint, detail=detail)
    return response


def _security_headers(response):
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}  # one pass, not a scan per header
    wanted = security_headers(request.is_secure or current_app.config["HTTPS"])
    headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
    # A view may set its own CSP (e.g. a stand-alone report); everything else gets the strict one.
    if "content-security-policy" not in present:
        headers["Content-Security-Policy"] = _swagger_csp(response) if request.endpoint == \
            "api-docs.openapi_swagger_ui" else CSP
    return response


def security_headers(secure: bool) -> tuple[tuple[str, str], ...]:
    """The headers every answer gets (HSTS only over HTTPS); the hook adds the CSP after them."""
    return _HSTS_HEADERS if secure else _SECURITY_HEADERS


def _swagger_csp(response) -> str:
    # flask-smorest's Swagger UI page starts the UI with one inline script of fixed content (no user
    # input): allow exactly that script by its hash rather than 'unsafe-inline'.
    hashes = [base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode()
              for m in _INLINE_SCRIPT.finditer(response.get_data())]
    extra = " ".join(f"'sha256-{h}'" for h in hashes)
    return CSP.replace("script-src 'self'", f"script-src 'self' {extra}".rstrip())


def _database_error(exc: OperationalError):
    if type(exc.orig).__name__ == "QueryCanceled":  # statement_timeout (MARKETMAP_STATEMENT_TIMEOUT_MS)
        log.warning("statement timeout on %s", request.path)
        return error_response(503, "query_timeout", "查询超时，请缩小范围后重试 / the query took too long; narrow it down")
    log.exception("database error")
    return error_response(500, "internal_error", "服务器内部错误 / internal server error")
