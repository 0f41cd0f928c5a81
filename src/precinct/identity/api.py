"""Identity JSON API: the caller, and the audit log for auditors."""

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from . import services

router = Router(tags=["identity"])


class MeOut(Schema):
    username: str
    role: str
    bureau_id: uuid.UUID | None
    unit_id: uuid.UUID | None
    officer_id: uuid.UUID | None


class AuditOut(Schema):
    seq: int | None
    at: dt.datetime
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str
    ip: str
    detail: dict[str, Any]
    hash: str


class AuditQuery(Schema):
    object_id: str = Field("", max_length=64)
    actor: str = Field("", max_length=150)
    action: str = Field("", max_length=40)
    limit: int = Field(100, ge=1, le=1000)
    before_seq: int | None = Field(None, ge=1)


class VerifyOut(Schema):
    ok: bool
    checked: int
    first_break: str | None


@router.get("/me", response=MeOut, url_name="me")
def me(request: HttpRequest) -> Any:
    u: Any = request.user
    return {
        "username": u.username,
        "role": u.role,
        "bureau_id": u.bureau_id,
        "unit_id": u.unit_id,
        "officer_id": u.officer_id,
    }


@router.get("/audit", response=list[AuditOut], url_name="audit_list")
def audit_list(request: HttpRequest, query: Query[AuditQuery]) -> Any:
    return list(
        services.audit_entries(
            object_id=query.object_id,
            actor=query.actor,
            action=query.action,
            limit=query.limit,
            before_seq=query.before_seq,
        )
    )


@router.get("/audit/verify", response=VerifyOut, url_name="audit_verify")
def audit_verify(request: HttpRequest) -> Any:
    checked, broken = services.verify_audit_chain()
    return {
        "ok": broken is None,
        "checked": checked,
        "first_break": str(broken) if broken else None,
    }
