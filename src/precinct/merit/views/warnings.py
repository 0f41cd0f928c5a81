"""The warning queue: supervision's proposals, decided by the political department."""

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from precinct.common import transactions
from precinct.common.pages import page_errors
from precinct.identity.services import caller

from .. import services
from ..forms import WarningDecisionForm
from ..models import MEASURE_LABELS
from ._common import _today


@page_errors
def warning_queue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "merit/warnings.html",
        {
            "items": services.warning_queue(caller(request)).order_by("created_at"),
            "measures": MEASURE_LABELS.items(),
            "today": _today(),
        },
    )


@require_POST
@page_errors(back="merit:warning_queue")
def warning_decide(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    d = WarningDecisionForm(request.POST).parsed()
    measure = d["measure"] or None
    with transactions.entry():
        services.decide_warning(
            caller(request), item_id, measure=measure,
            start=d["start"] if measure else _today(), days=d["days"], note=d["note"],
        )  # fmt: skip
    messages.success(request, _("Decided."))
    return redirect("merit:warning_queue")
