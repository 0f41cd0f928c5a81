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

from precinct.common import transactions
from precinct.common.forms import DomainErrorsForm, Text
from precinct.common.pages import page_errors
from precinct.core import clock
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


def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrolment at the first sign-in: scan the QR code (or type the key), give the first code;
    the recovery codes are shown once."""
    user, nxt = _user(request), _next(request)
    if services.confirmed_device(user) is not None:
        return redirect(f"{reverse_lazy('web:otp_verify')}?next={nxt}")
    with transactions.entry():
        device = services.start_enrolment(user)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        with form.reporting():
            with transactions.entry():
                codes = services.confirm_enrolment(user, form.cleaned_data["code"], now=clock.now())
            request.session.cycle_key()
            mark_authenticated(request, second_factor=True)
            return render(
                request, "web/recovery_codes.html", {"codes": codes, "next": nxt, "gate": True}
            )
    errors = _shown(form)
    uri = services.provisioning_uri(device)
    context = {
        "qr": segno.make(uri, error="m").svg_inline(scale=5, dark="#111", light="#fff"),
        "secret": " ".join(device.secret[i : i + 4] for i in range(0, len(device.secret), 4)),
        "issuer": settings.OTP_ISSUER,
        "errors": errors,
        "next": nxt,
        "gate": True,
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
