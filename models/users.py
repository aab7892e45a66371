"""Accounts (登录用户) and API tokens for machine clients; only hashes of secrets are stored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ARRAY, BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, now_column

USER_ROLES = ("public", "registrar", "supervisor", "official", "admin")


class AppUser(Base):
    """A person who logs in: argon2 password hash, one role, the grids a supervisor looks after."""

    __tablename__ = "app_user"
    __table_args__ = (CheckConstraint("role IN ('public','registrar','supervisor','official','admin')",
                                      name="role_known"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    grid_codes: Mapped[list[str]] = mapped_column(ARRAY(String(32)), nullable=False, server_default="{}")
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = now_column()


class ApiToken(Base):
    """A revocable bearer token of one user; the token itself is shown once, only its SHA-256 is kept."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    token_sha256: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[dt.datetime] = now_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
