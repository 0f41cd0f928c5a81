"""Shell pages: sign in and out, the home page per role, the caller's own profile."""

from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from precinct.campaigns import services as campaigns
from precinct.core import clock
from precinct.identity.services import caller
from precinct.org import services as org


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


def health(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def home(request: HttpRequest) -> HttpResponse:
    scope = caller(request)
    context: dict[str, Any] = {"role": scope.role}
    if scope.reads_business_data:
        today = clock.today(settings.TIME_ZONE)
        context["summary"] = org.workforce_summary(scope, today=today)
        # campaign items overdue or due soon, flagged to the units that own them
        context["campaign_items"] = campaigns.my_items(scope, today=today)
        context["campaigns"] = campaigns.campaign_summary(scope, today=today)
    if scope.self_only and scope.officer_id:
        context["own_officer_id"] = scope.officer_id
    return render(request, "web/home.html", context)


def profile(request: HttpRequest) -> HttpResponse:
    scope = caller(request)
    if scope.officer_id and scope.reads_business_data:
        return redirect("org:officer_detail", officer_id=scope.officer_id)
    return render(request, "web/profile.html", {})
