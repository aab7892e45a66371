"""Who am I, and my API tokens (机器客户端令牌): create, list, revoke. Tokens are shown once."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app import accounts
from app.api import Blueprint
from app.auth import current_viewer, remote_addr
from app.db import get_session
from app.errors import ApiError, NotFound
from models.users import AppUser

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="登录身份与 API 令牌 / identity and API tokens")


class MeOut(Schema):
    role = fields.Str(metadata={"description": "public · registrar · supervisor · official · admin"})
    username = fields.Str(allow_none=True)
    grid_codes = fields.List(fields.Str())
    signed_in = fields.Bool()


class TokenIn(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=64),
                      metadata={"description": "what the token is for, e.g. 'QGIS 张三'"})


class TokenOut(Schema):
    id = fields.Int()
    name = fields.Str()
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)


class NewTokenOut(TokenOut):
    token = fields.Str(metadata={"description": "the secret; shown only now, send as Authorization: Bearer <token>"})


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeOut)
    def get(self):
        """The caller's role, name and grids (public when not signed in)."""
        viewer = current_viewer()
        return {"role": viewer.role, "username": viewer.username, "grid_codes": sorted(viewer.grid_codes),
                "signed_in": viewer.signed_in}


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.response(200, TokenOut(many=True))
    def get(self):
        """My tokens, revoked ones included (never their secrets)."""
        return accounts.list_tokens(get_session(), _me())

    @blp.arguments(TokenIn)
    @blp.response(201, NewTokenOut)
    def post(self, payload):
        """A new token for machine clients (QGIS, scripts), with my role and grids."""
        session = get_session()
        try:
            token, secret = accounts.create_token(session, _me(), name=payload["name"], remote_addr=remote_addr())
        except accounts.AccountError as exc:
            raise ApiError(str(exc)) from exc
        session.commit()
        return {**{k: getattr(token, k) for k in TokenOut._declared_fields}, "token": secret}


@blp.route("/tokens/<int:token_id>")
class Token(MethodView):
    @blp.response(200, TokenOut)
    def delete(self, token_id: int):
        """Revoke one of my tokens; it stops working at once."""
        session = get_session()
        try:
            token = accounts.revoke_token(session, _me(), token_id, actor=current_viewer().username,
                                          remote_addr=remote_addr())
        except accounts.AccountError as exc:
            raise NotFound(str(exc)) from exc
        session.commit()
        return token


def _me() -> AppUser:
    viewer = current_viewer()
    user = get_session().get(AppUser, viewer.user_id) if viewer.signed_in else None
    if user is None:
        raise ApiError("请先登录 / sign in first", status=401, code="unauthorized")
    return user
