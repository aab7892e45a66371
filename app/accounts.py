"""Accounts and API tokens: argon2 passwords, lock-out after repeated failures, hashed bearer tokens.

No Flask here: the login page, the token API and the ``marketmap users|tokens`` commands call these
with a session and say who acted; every change and every login attempt goes to the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.users import USER_ROLES, ApiToken, AppUser
from supervision.audit import record

_HASHER = PasswordHasher()
# Verified when the username is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("marketmap-no-such-user")
_USERNAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,64}$")
_GRID_CODE = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")
TOKEN_PREFIX = "mm_"
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A request about accounts that cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class LoginResult:
    user: AppUser | None
    reason: str  # ok, bad_credentials, locked, disabled

    @property
    def ok(self) -> bool:
        return self.user is not None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少 {MIN_PASSWORD_LENGTH} 个字符 / password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


def get_user(session: Session, username: str) -> AppUser:
    user = session.scalar(select(AppUser).where(AppUser.username == username))
    if user is None:
        raise AccountError(f"没有这个用户 / no user named {username!r}")
    return user


def create_user(session: Session, *, username: str, password: str, role: str, grid_codes=(), actor: str,
                remote_addr: str | None = None) -> AppUser:
    """A new enabled account; supervisors should be given grids (set_grids) to see anything non-public."""
    if not _USERNAME.match(username):
        raise AccountError("用户名为 2–64 个字母、数字、汉字或 _.- / username: 2–64 letters, digits, _.-")
    _check_role(role)
    if session.scalar(select(AppUser.id).where(AppUser.username == username)) is not None:
        raise AccountError(f"用户已存在 / user {username!r} exists")
    user = AppUser(username=username, password_hash=hash_password(password), role=role,
                   grid_codes=_grid_list(grid_codes))
    session.add(user)
    session.flush()
    _audit(session, actor, "user_create", user, {"role": role, "grid_codes": user.grid_codes}, remote_addr)
    return user


def set_role(session: Session, username: str, role: str, *, actor: str, remote_addr: str | None = None) -> AppUser:
    _check_role(role)
    user = get_user(session, username)
    old, user.role = user.role, role
    _audit(session, actor, "user_set_role", user, {"from": old, "to": role}, remote_addr)
    return user


def set_grids(session: Session, username: str, grid_codes, *, actor: str, remote_addr: str | None = None) -> AppUser:
    user = get_user(session, username)
    old, user.grid_codes = list(user.grid_codes), _grid_list(grid_codes)
    _audit(session, actor, "user_set_grids", user, {"from": old, "to": user.grid_codes}, remote_addr)
    return user


def set_disabled(session: Session, username: str, disabled: bool, *, actor: str,
                 remote_addr: str | None = None) -> AppUser:
    """Disable (or enable) an account; a disabled user's sessions and tokens stop working at once."""
    user = get_user(session, username)
    user.disabled = disabled
    if not disabled:
        user.failed_logins, user.locked_until = 0, None
    _audit(session, actor, "user_disable" if disabled else "user_enable", user, None, remote_addr)
    return user


def set_password(session: Session, username: str, password: str, *, actor: str,
                 remote_addr: str | None = None) -> AppUser:
    user = get_user(session, username)
    user.password_hash = hash_password(password)
    _audit(session, actor, "user_set_password", user, None, remote_addr)
    return user


def authenticate(session: Session, *, username: str, password: str, remote_addr: str | None,
                 max_failures: int = 5, lock_minutes: int = 15) -> LoginResult:
    """Check a password; ``max_failures`` wrong ones in a row lock the account for ``lock_minutes``.

    While locked even the right password is refused. Every attempt is audited; the caller commits.
    """
    # Row lock and fresh values: concurrent wrong guesses must all count.
    user = session.scalar(select(AppUser).where(AppUser.username == username).with_for_update()
                          .execution_options(populate_existing=True))
    if user is None:
        _verify(_DUMMY_HASH, password)
        return _login_audit(session, None, username, "bad_credentials", remote_addr)
    if user.disabled:
        return _login_audit(session, user, username, "disabled", remote_addr)
    if user.locked_until is not None and user.locked_until > _now():
        return _login_audit(session, user, username, "locked", remote_addr)
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.failed_logins, user.locked_until = 0, _now() + dt.timedelta(minutes=lock_minutes)
            _audit(session, username, "login_lockout", user, {"minutes": lock_minutes}, remote_addr)
        return _login_audit(session, user, username, "bad_credentials", remote_addr)
    user.failed_logins, user.locked_until = 0, None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    return _login_audit(session, user, username, "ok", remote_addr)


def create_token(session: Session, user: AppUser, *, name: str, remote_addr: str | None = None) -> tuple[ApiToken, str]:
    """A new bearer token for ``user``: returns the row and the secret, which is never stored or shown again."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 64:
        raise AccountError("令牌名称 1–64 个字符 / token name: 1–64 characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_sha256=token_digest(secret))
    session.add(token)
    session.flush()
    _audit(session, user.username, "token_create", user, {"token_id": token.id, "name": name}, remote_addr,
           role=user.role)
    return token, secret


def user_for_token(session: Session, secret: str) -> tuple[AppUser, ApiToken] | None:
    """The enabled user behind an unrevoked token (and marks it used), or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 128:
        return None
    row = session.execute(
        select(AppUser, ApiToken).join(ApiToken, ApiToken.user_id == AppUser.id)
        .where(ApiToken.token_sha256 == token_digest(secret), ApiToken.revoked_at.is_(None),
               AppUser.disabled.is_(False))).first()
    if row is None:
        return None
    session.execute(update(ApiToken).where(ApiToken.id == row[1].id).values(last_used_at=func.now()))
    return row[0], row[1]


def list_tokens(session: Session, user: AppUser) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_token(session: Session, user: AppUser | None, token_id: int, *, actor: str,
                 remote_addr: str | None = None) -> ApiToken:
    """Revoke one token; ``user`` limits it to that user's own tokens (None: any, for administrators)."""
    token = session.get(ApiToken, token_id)
    if token is None or (user is not None and token.user_id != user.id):
        raise AccountError(f"没有这个令牌 / no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = _now()
        _audit(session, actor, "token_revoke", None, {"token_id": token_id, "user_id": token.user_id}, remote_addr)
    return token


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _check_role(role: str) -> None:
    if role not in USER_ROLES or role == "public":
        raise AccountError(f"角色应为 / role must be one of: {', '.join(USER_ROLES[1:])}")


def _grid_list(grid_codes) -> list[str]:
    codes = sorted({c.strip() for c in grid_codes if c and c.strip()})
    bad = [c for c in codes if not _GRID_CODE.match(c)]
    if bad:
        raise AccountError(f"网格编码无效 / invalid grid codes: {', '.join(bad)}")
    return codes


def _login_audit(session: Session, user: AppUser | None, username: str, reason: str,
                 remote_addr: str | None) -> LoginResult:
    action = "login" if reason == "ok" else "login_failed"
    record(session, actor=username[:64], role=user.role if user else None, action=action, object_type="app_user",
           object_id=user.id if user else None, detail={"reason": reason}, remote_addr=remote_addr)
    return LoginResult(user if reason == "ok" else None, reason)


def _audit(session: Session, actor: str, action: str, user: AppUser | None, detail: dict | None,
           remote_addr: str | None, role: str | None = None) -> None:
    record(session, actor=actor, role=role, action=action, object_type="app_user",
           object_id=user.id if user else None,
           detail={"username": user.username, **(detail or {})} if user else detail, remote_addr=remote_addr)
