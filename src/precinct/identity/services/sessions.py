"""Whether a signed-in session still holds (ADR 0035): for the work a request goes on doing after
its start — a live stream — which must end when its session does (signed out, expired, the
password changed, the account disabled or given another role)."""

from collections.abc import Callable
from importlib import import_module

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from ..models import User
from .accounts import user_for_token


def session_check(request: HttpRequest) -> Callable[[], bool]:
    """A check of the request's credential, to call again later (it reads the database): true
    while the same account is signed in by it, active, with the same role. For a session: not
    signed out or expired, and its password unchanged. For an API token: not revoked."""
    user = request.user
    user_id, role = str(user.pk), getattr(user, "role", "")
    if getattr(request, "by_token", False):
        secret = request.headers.get("Authorization", "")[7:].strip()

        def token_holds() -> bool:
            holder = user_for_token(secret)
            return holder is not None and str(holder.pk) == user_id and holder.role == role

        return token_holds

    key = request.session.session_key or ""
    store = import_module(settings.SESSION_ENGINE).SessionStore

    def session_holds() -> bool:
        data = store(session_key=key).load() if key else {}  # {} when gone or expired
        if str(data.get(SESSION_KEY, "")) != user_id:
            return False
        holder = User.objects.filter(pk=user_id, is_active=True).first()
        if holder is None or holder.role != role:
            return False
        return constant_time_compare(
            str(data.get(HASH_SESSION_KEY, "")), holder.get_session_auth_hash()
        )

    return session_holds
