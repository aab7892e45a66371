"""``marketmap users|audit|tokens``: accounts, the audit trail's integrity check, API tokens.

Run on the server by whoever operates it; each change is audited with actor ``cli:<os user>``.
"""

from __future__ import annotations

import getpass

import click
from flask.cli import AppGroup
from sqlalchemy import select, text

from app import accounts
from app.db import get_session
from models.users import AppUser
from supervision import audit as audit_trail


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _run(change) -> None:
    """Apply one account change and commit, or say what was wrong and exit 1."""
    session = get_session()
    try:
        message = change(session)
    except accounts.AccountError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from exc
    session.commit()
    click.echo(message)


def _grids(value: str) -> list[str]:
    return [c for c in value.split(",") if c.strip()]


@click.group("users", cls=AppGroup)
def users_group() -> None:
    """Accounts (用户): create, disable, roles, grids."""


@users_group.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(accounts.USER_ROLES[1:]))
@click.option("--grids", default="", help="comma-separated grid codes (supervisors)")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_create(username: str, role: str, grids: str, password: str) -> None:
    """Create USERNAME with ROLE (password asked for unless --password)."""
    _run(lambda s: f"created {accounts.create_user(s, username=username, password=password, role=role, grid_codes=_grids(grids), actor=_actor()).username} ({role})")


@users_group.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable USERNAME: sessions and tokens stop working at once."""
    _run(lambda s: f"disabled {accounts.set_disabled(s, username, True, actor=_actor()).username}")


@users_group.command("enable")
@click.argument("username")
def users_enable(username: str) -> None:
    """Enable USERNAME again (also lifts a lock-out)."""
    _run(lambda s: f"enabled {accounts.set_disabled(s, username, False, actor=_actor()).username}")


@users_group.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(accounts.USER_ROLES[1:]))
def users_set_role(username: str, role: str) -> None:
    """Give USERNAME another ROLE."""
    _run(lambda s: f"{accounts.set_role(s, username, role, actor=_actor()).username} is now {role}")


@users_group.command("set-grids")
@click.argument("username")
@click.argument("grids")
def users_set_grids(username: str, grids: str) -> None:
    """Set the grids (comma-separated codes, '' for none) USERNAME supervises."""
    _run(lambda s: f"{username} grids: {', '.join(accounts.set_grids(s, username, _grids(grids), actor=_actor()).grid_codes) or '-'}")


@users_group.command("set-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_set_password(username: str, password: str) -> None:
    """Set a new password for USERNAME."""
    _run(lambda s: f"password changed for {accounts.set_password(s, username, password, actor=_actor()).username}")


@users_group.command("list")
def users_list() -> None:
    """Every account with role, grids and state."""
    for u in get_session().scalars(select(AppUser).order_by(AppUser.username)):
        state = "disabled" if u.disabled else ("locked" if u.locked_until else "active")
        click.echo(f"{u.username:<20} {u.role:<11} {state:<9} {','.join(u.grid_codes) or '-'}")


@click.group("audit", cls=AppGroup)
def audit_group() -> None:
    """The audit trail (留痕): append-only, hash-chained."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain; exit 1 and name each row that was changed, removed or reordered."""
    session = get_session()
    problems = audit_trail.verify(session)
    count = session.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
    if problems:
        for problem in problems:
            click.echo(f"TAMPERED {problem}", err=True)
        raise click.exceptions.Exit(1)
    click.echo(f"audit trail intact: {count} entries, chain verified")


@click.group("tokens", cls=AppGroup)
def tokens_group() -> None:
    """API tokens for machine clients (hashed at rest, revocable)."""


@tokens_group.command("create")
@click.argument("username")
@click.option("--name", required=True, help="what the token is for")
def tokens_create(username: str, name: str) -> None:
    """Create a token for USERNAME and print it once."""
    _run(lambda s: f"token (shown once): {accounts.create_token(s, accounts.get_user(s, username), name=name)[1]}")


@tokens_group.command("list")
@click.argument("username")
def tokens_list(username: str) -> None:
    """USERNAME's tokens (ids, names, use; never secrets)."""
    session = get_session()
    try:
        user = accounts.get_user(session, username)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    for t in accounts.list_tokens(session, user):
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
        click.echo(f"{t.id:>6} {t.name:<24} {state:<24} last used {t.last_used_at or '-'}")


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID (any user's)."""
    _run(lambda s: f"revoked token {accounts.revoke_token(s, None, token_id, actor=_actor()).id}")


commands = [users_group, audit_group, tokens_group]
