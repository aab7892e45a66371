"""Login, lock-out, sessions, CSRF, API tokens and the ``marketmap users|tokens`` commands."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from app import accounts
from models.users import ApiToken, AppUser

PASSWORD = "correct horse battery"


def make_user(session, username="alice", role="official", grids=()):
    user = accounts.create_user(session, username=username, password=PASSWORD, role=role, grid_codes=grids,
                                actor="test")
    session.flush()
    return user


def login_form(client, username, password, next_path="/"):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                       "next": next_path})


def csrf_of(client) -> str:
    with client.session_transaction() as sess:
        return sess["csrf"]


def test_password_is_stored_as_argon2(session):
    user = make_user(session)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_login_sets_a_hardened_session_cookie_and_redirects_only_within_the_site(client, session):
    make_user(session)
    resp = login_form(client, "alice", PASSWORD, next_path="/economy")
    assert resp.status_code == 302 and resp.headers["Location"] == "/economy"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/api/v1/auth/me").get_json()["username"] == "alice"
    client.post("/logout", headers={"X-CSRF-Token": csrf_of(client)})
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        resp = login_form(client, "alice", PASSWORD, next_path=evil)
        assert resp.headers["Location"] == "/"


def test_cookie_is_secure_over_https(client, session):
    make_user(session)
    page = client.get("/login", base_url="https://localhost")
    assert "Secure" in page.headers["Set-Cookie"]


def test_login_page_escapes_what_it_echoes(client):
    payload = '"><script>alert(1)</script>'
    resp = client.get("/login", query_string={"next": "/" + payload})
    assert "<script>alert(1)</script>" not in resp.text
    resp = login_form(client, payload, "wrong password")
    assert resp.status_code == 401 and "<script>alert(1)</script>" not in resp.text


def test_login_without_csrf_token_is_refused(client, session):
    make_user(session)
    resp = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert resp.status_code == 400
    assert client.get("/api/v1/auth/me").get_json()["signed_in"] is False


def test_five_failures_lock_the_account_even_for_the_right_password(client, session):
    user = make_user(session)
    for _ in range(5):
        assert login_form(client, "alice", "wrong password").status_code == 401
    session.refresh(user)
    assert user.locked_until is not None
    resp = login_form(client, "alice", PASSWORD)
    assert resp.status_code == 401 and "锁定" in resp.text
    actions = session.scalars(text("SELECT action FROM audit_log WHERE actor = 'alice' ORDER BY id")).all()
    assert actions.count("login_failed") == 6 and "login_lockout" in actions
    session.execute(text("UPDATE app_user SET locked_until = now() - interval '1 second' WHERE id = :id"),
                    {"id": user.id})
    assert login_form(client, "alice", PASSWORD).status_code == 302


def test_disabled_user_loses_session_and_tokens_at_once(client, session):
    user = make_user(session)
    _, secret = accounts.create_token(session, user, name="qgis")
    login_form(client, "alice", PASSWORD)
    accounts.set_disabled(session, "alice", True, actor="test")
    session.flush()
    assert client.get("/api/v1/auth/me").get_json()["signed_in"] is False
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_state_changing_requests_with_a_session_need_the_csrf_token(client, session):
    make_user(session)
    login_form(client, "alice", PASSWORD)
    assert client.post("/api/v1/auth/tokens", json={"name": "x"}).status_code == 403
    assert client.post("/api/v1/auth/tokens", json={"name": "x"},
                       headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post("/api/v1/auth/tokens", json={"name": "x"},
                       headers={"X-CSRF-Token": csrf_of(client)}).status_code == 201


def test_public_post_without_a_cookie_needs_no_csrf(client, session):
    # Filing a complaint as the public acts as nobody: no ambient authority, so no CSRF token.
    resp = client.post("/open311/v2/requests.json", json={"service_code": "none-such"})
    assert resp.status_code == 400 and resp.get_json()["error"] != "csrf_failed"


def test_api_tokens_are_hashed_listed_used_and_revoked(client, session):
    make_user(session, role="supervisor", grids=("G1",))
    login_form(client, "alice", PASSWORD)
    created = client.post("/api/v1/auth/tokens", json={"name": "脚本"}, headers={"X-CSRF-Token": csrf_of(client)})
    secret, token_id = created.get_json()["token"], created.get_json()["id"]
    stored = session.get(ApiToken, token_id)
    assert stored.token_sha256 == accounts.token_digest(secret) and secret not in stored.token_sha256
    listed = client.get("/api/v1/auth/tokens").get_json()
    assert [t["name"] for t in listed] == ["脚本"] and "token" not in listed[0]

    machine = client.application.test_client()
    bearer = {"Authorization": f"Bearer {secret}"}
    me = machine.get("/api/v1/auth/me", headers=bearer).get_json()
    assert me == {"role": "supervisor", "username": "alice", "grid_codes": ["G1"], "signed_in": True}
    # a bearer token carries no ambient authority: no CSRF token needed
    assert machine.post("/api/v1/auth/tokens", json={"name": "second"}, headers=bearer).status_code == 201
    session.refresh(stored)
    assert stored.last_used_at is not None

    assert client.delete(f"/api/v1/auth/tokens/{token_id}", headers={"X-CSRF-Token": csrf_of(client)}).status_code == 200
    assert machine.get("/api/v1/auth/me", headers=bearer).status_code == 401
    assert machine.get("/api/v1/auth/me", headers={"Authorization": "Bearer mm_nonsense"}).status_code == 401
    assert machine.get("/api/v1/auth/me", headers={"Authorization": "Basic Zm9vOmJhcg=="}).status_code == 401


def test_someone_elses_token_cannot_be_revoked(client, session):
    make_user(session, "alice")
    bob = make_user(session, "bob")
    token, _ = accounts.create_token(session, bob, name="bob's")
    login_form(client, "alice", PASSWORD)
    resp = client.delete(f"/api/v1/auth/tokens/{token.id}", headers={"X-CSRF-Token": csrf_of(client)})
    assert resp.status_code == 404
    assert session.get(ApiToken, token.id).revoked_at is None


def test_users_cli_create_set_role_set_grids_disable(runner, session):
    out = runner.invoke(args=["users", "create", "zhang", "--role", "supervisor", "--grids", "G1,G2",
                              "--password", PASSWORD])
    assert out.exit_code == 0, out.output
    assert runner.invoke(args=["users", "set-role", "zhang", "official"]).exit_code == 0
    assert runner.invoke(args=["users", "set-grids", "zhang", "G3"]).exit_code == 0
    assert runner.invoke(args=["users", "disable", "zhang"]).exit_code == 0
    user = session.scalar(select(AppUser).where(AppUser.username == "zhang"))
    assert (user.role, user.grid_codes, user.disabled) == ("official", ["G3"], True)
    listing = runner.invoke(args=["users", "list"]).output
    assert "zhang" in listing and "disabled" in listing
    bad = runner.invoke(args=["users", "create", "li", "--role", "official", "--password", "short"])
    assert bad.exit_code == 1 and "密码" in bad.output
    assert runner.invoke(args=["users", "set-role", "nobody", "admin"]).exit_code == 1


def test_tokens_cli_create_list_revoke(runner, session):
    make_user(session, "wang")
    out = runner.invoke(args=["tokens", "create", "wang", "--name", "gdal"])
    secret = out.output.strip().split()[-1]
    assert secret.startswith(accounts.TOKEN_PREFIX)
    token = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == accounts.token_digest(secret)))
    assert "gdal" in runner.invoke(args=["tokens", "list", "wang"]).output
    assert runner.invoke(args=["tokens", "revoke", str(token.id)]).exit_code == 0
    assert accounts.user_for_token(session, secret) is None


@pytest.mark.parametrize("name", ["", "a", "x" * 65, "bad name", "<script>"])
def test_usernames_are_checked(session, name):
    with pytest.raises(accounts.AccountError):
        accounts.create_user(session, username=name, password=PASSWORD, role="official", actor="test")
