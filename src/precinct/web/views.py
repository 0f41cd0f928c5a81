"""Shell pages: sign in and out, the home page per role, the caller's own profile."""

from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from precinct.campaigns import services as campaigns
from precinct.core import capabilities as can
from precinct.core import clock
from precinct.identity.services import caller
from precinct.org import services as org

from . import homes, me


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
    """The role's own work today: counts that open the filtered lists (``web/homes.py``)."""
    scope = caller(request)
    tz = ZoneInfo(settings.TIME_ZONE)
    today = clock.today(settings.TIME_ZONE)
    context: dict[str, Any] = {
        "role": scope.role,
        "cards": homes.cards(scope, now=clock.now(), today=today, tz=tz),
    }
    if scope.reads_business_data:
        # campaign items overdue or due soon, flagged to the units that own them
        context["campaign_items"] = campaigns.my_items(scope, today=today)
    if scope.role in can.SENIOR_PROGRAMME_READERS:  # 重走青春路: the officers over 50
        summary = org.workforce_summary(scope, today=today)
        labels = org.age_band_labels()
        context["summary"] = summary
        context["bands"] = [(band, labels.get(band, band), n) for band, n in summary.by_age_band]
    if scope.self_only and scope.officer_id:
        context["own_officer_id"] = scope.officer_id
    return render(request, "web/home.html", context)


def profile(request: HttpRequest) -> HttpResponse:
    """我的: an officer's own record (``web/me.py``); the others' account."""
    return me.record(request)
