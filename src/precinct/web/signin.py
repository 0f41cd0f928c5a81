"""The steps of signing in after the password: the second factor (enrolment, codes, recovery
codes), re-authentication before privileged actions, and changing the password (also when it has
expired). The access middleware sends a session here until it has passed each gate."""

from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from precinct.common import encryption, fields, transactions
from precinct.common.forms import DomainErrorsForm, Text
from precinct.common.pages import page_errors
from precinct.core import clock
from precinct.core.errors import ValidationFailed
from precinct.identity import services
from precinct.identity.middleware import (
    SESSION_MFA,
    client_ip,
    mark_authenticated,
    safe_next,
)


def _user(request: HttpRequest) -> Any:
    """The signed-in user (the access middleware lets no one else reach these views)."""
    assert request.user.is_authenticated
    return request.user


def _next(request: HttpRequest) -> str:
    return safe_next(request, request.POST.get("next") or request.GET.get("next"), "/")


class CodeForm(DomainErrorsForm):
    """A code from the authenticator, or a recovery code; the service says whether it is right."""

    code = Text(clip=32, strip=True)


def _shown(form: DomainErrorsForm) -> list[str]:
    """The form's errors as the gate pages list them, above the form."""
    return [str(m) for messages_ in form.errors.values() for m in messages_]


def _second_factor_done(request: HttpRequest) -> bool:
    return bool(request.session.get(SESSION_MFA)) or not services.otp_required(
        _user(request), client_ip(request)
    )


def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator, or a recovery code."""
    user, nxt = _user(request), _next(request)
    if _second_factor_done(request):
        return redirect(nxt)
    if services.confirmed_device(user) is None:
        return redirect(f"{reverse_lazy('web:otp_setup')}?next={nxt}")
    form = CodeForm(request.POST or None)
    if form.is_valid():
        with transactions.entry():
            verdict = services.verify_second_factor(
                user, form.cleaned_data["code"], now=clock.now()
            )
        if verdict.refusal is not None:
            form.add_domain_errors(verdict.refusal)
        else:
            request.session.cycle_key()
            mark_authenticated(request, second_factor=True)
            if verdict.how == "recovery":
                left = services.recovery_codes_left(user)
                messages.warning(
                    request,
                    _(
                        "You signed in with a recovery code; %(left)d left. Renew them on the "
                        "security page, and enrol your authenticator again if it is lost."
                    )
                    % {"left": left},
                )
            return redirect(nxt)
    errors = _shown(form)
    return render(
        request,
        "web/otp_verify.html",
        {"errors": errors, "next": nxt, "gate": True},
        status=400 if errors else 200,
    )


SESSION_ENROLMENT = "precinct_enrolment"  # this session's enrolment: its code, its sealed secret


class EnrolmentCodeForm(DomainErrorsForm):
    """The enrolment code the system administrator issued (ADR 0035)."""

    enrolment_code = Text(clip=32, strip=True)


def _sealing(user: Any, code_id: str) -> dict[str, str]:
    """Where a pending secret is sealed: bound to this account and the code that opened it."""
    return {"table": "session", "column": "enrolment", "row": f"{user.pk}:{code_id}"}


def _pending(request: HttpRequest, user: Any) -> tuple[str, str] | None:
    """This session's enrolment under way: (the enrolment code's id, the secret shown)."""
    raw = request.session.get(SESSION_ENROLMENT)
    if not isinstance(raw, dict) or raw.get("user") != str(user.pk):
        return None
    code_id = str(raw.get("code", ""))
    try:
        secret = encryption.unseal(
            fields.keyring(), str(raw.get("secret", "")), **_sealing(user, code_id)
        )
    except encryption.FieldKeyError:
        return None
    return code_id, secret


def _keep_pending(request: HttpRequest, user: Any, code_id: str, secret: str) -> None:
    sealed = encryption.seal(fields.keyring(), secret, **_sealing(user, code_id))
    request.session[SESSION_ENROLMENT] = {"user": str(user.pk), "code": code_id, "secret": sealed}


def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrolling an authenticator: the first one at the first sign-in, or a new one after a lost
    phone. First the enrolment code the system administrator issued to this person; then this
    session's own new secret (a QR code, or the key to type) and the app's first code; the recovery
    codes are shown once. The secret is made for this session only and kept in it, sealed, until
    confirmed: no other session ever sees it (ADR 0035)."""
    user, nxt = _user(request), _next(request)
    gate = not _second_factor_done(request)
    pending = _pending(request, user)
    errors: list[str] = []
    if pending is None:
        form = EnrolmentCodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            typed = form.cleaned_data["enrolment_code"]
            if not typed:
                errors = [_("Enter the enrolment code the system administrator gave you.")]
            else:
                with transactions.entry():
                    start = services.open_enrolment(user, typed, now=clock.now())
                if start.refusal is not None:
                    form.add_domain_errors(start.refusal)
                    errors = _shown(form)
                else:
                    secret = services.new_secret()
                    _keep_pending(request, user, start.code_id, secret)
                    return _show_secret(request, user, secret, nxt, gate, [])
        context = {"errors": errors, "next": nxt, "gate": gate, "enrolled": _enrolled(user)}
        return render(request, "web/otp_setup.html", context, status=400 if errors else 200)
    code_id, secret = pending
    confirm = CodeForm(request.POST or None)
    if request.method == "POST" and confirm.is_valid():
        try:
            with transactions.entry():
                codes = services.confirm_enrolment(
                    user, code_id=code_id, secret=secret, code=confirm.cleaned_data["code"],
                    now=clock.now(),
                )  # fmt: skip
        except ValidationFailed as refused:
            confirm.add_domain_errors(refused)
            errors = _shown(confirm)
            if any(e.message == services.NO_ENROLMENT_CODE for e in refused.errors):
                request.session.pop(SESSION_ENROLMENT, None)  # spent or expired meanwhile
                context = {"errors": errors, "next": nxt, "gate": gate, "enrolled": _enrolled(user)}
                return render(request, "web/otp_setup.html", context, status=400)
        else:
            request.session.pop(SESSION_ENROLMENT, None)
            request.session.cycle_key()
            mark_authenticated(request, second_factor=True)
            return render(
                request, "web/recovery_codes.html", {"codes": codes, "next": nxt, "gate": True}
            )
    return _show_secret(request, user, secret, nxt, gate, errors)


def _enrolled(user: Any) -> bool:
    return services.confirmed_device(user) is not None


def _show_secret(
    request: HttpRequest, user: Any, secret: str, nxt: str, gate: bool, errors: list[str]
) -> HttpResponse:
    uri = services.provisioning_uri(secret, user.username)
    context = {
        "qr": segno.make(uri, error="m").svg_inline(scale=5, dark="#111", light="#fff"),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "issuer": settings.OTP_ISSUER,
        "errors": errors,
        "next": nxt,
        "gate": gate,
    }
    return render(request, "web/otp_setup.html", context, status=400 if errors else 200)


class ReauthForm(DomainErrorsForm):
    password = forms.CharField(strip=False, max_length=4096)
    code = Text(clip=32, strip=True)


def reauth(request: HttpRequest) -> HttpResponse:
    """Confirm who you are before a privileged action (accounts, roles, policies, approvals): the
    password again, and a code when the account has a second factor. Wrong passwords count
    towards the account's lockout like any sign-in."""
    user, nxt = _user(request), _next(request)
    needs_code = services.otp_required(user, client_ip(request))
    errors: list[str] = []
    if request.method == "POST":
        form = ReauthForm(request.POST)
        password = form.data.get("password", "") if form.is_valid() else ""
        if authenticate(request, username=user.username, password=password) is None:
            errors = [_("The password is not right. After 5 failures the account is locked.")]
        elif needs_code:
            with transactions.entry():
                verdict = services.verify_second_factor(
                    user, form.cleaned_data.get("code", ""), now=clock.now()
                )
            if verdict.refusal is not None:
                form.add_domain_errors(verdict.refusal)
                errors = _shown(form)
        if not errors:
            mark_authenticated(request, second_factor=needs_code)
            with transactions.entry():
                services.record(
                    "reauthenticated", object_type="identity.user", object_id=str(user.pk)
                )
            return redirect(nxt)
    return render(
        request,
        "web/reauth.html",
        {"errors": errors, "next": nxt, "needs_code": needs_code},
        status=400 if errors else 200,
    )


class NewPasswordForm(PasswordChangeForm):
    """Django's password change, which must also give a password other than the current one."""

    def clean_new_password1(self) -> str:
        new: str = self.cleaned_data["new_password1"]
        if self.user.check_password(new):
            raise forms.ValidationError(_("Choose a password other than the current one."))
        return new


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"
    form_class = NewPasswordForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["expired"] = services.password_expired(_user(self.request), now=clock.now())
        context["temporary"] = _user(self.request).password_temporary
        context["gate"] = context["expired"]
        context["next"] = _next(self.request)
        return context

    def get_success_url(self) -> str:
        return _next(self.request)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is changed."))
        return response


def security(request: HttpRequest) -> HttpResponse:
    """The user's own account security: second factor, recovery codes, password."""
    user = _user(request)
    device = services.confirmed_device(user)
    context = {
        "device": device,
        "codes_left": services.recovery_codes_left(user) if device else 0,
        "password_changed_at": user.password_changed_at,
        "max_age_days": settings.PASSWORD_MAX_AGE_DAYS,
    }
    return render(request, "web/security.html", context)


@require_POST
@page_errors(back="web:security")
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """A new set of recovery codes, shown once (a privileged action: re-authenticate first)."""
    with transactions.entry():
        codes = services.new_recovery_codes(_user(request))
    return render(request, "web/recovery_codes.html", {"codes": codes, "next": "/"})
