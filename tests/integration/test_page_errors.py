"""Domain errors on pages are answered in one place (precinct.common.pages): missing is 404,
forbidden the 403 page (or, for a form posted from a page, a message and back), refused input
translated messages and back; forms show a refusal on their fields."""

import uuid
from typing import Any

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.test import RequestFactory
from django.utils import translation

from precinct.common.forms import DomainErrorsForm
from precinct.common.pages import ErrorRow, by_row, from_address, page_errors, reason
from precinct.core.errors import (
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    gettext_noop,
)

WRONG = ValidationFailed(
    [
        FieldError("on", gettext_noop("not in the future")),
        FieldError(
            "officer", gettext_noop("no officer %(number)s"), row=3, params={"number": "X7"}
        ),
    ]
)


def _request(method: str = "post", path: str = "/things/7/") -> HttpRequest:
    request = getattr(RequestFactory(), method)(path)
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def _said(request: HttpRequest) -> list[str]:
    return [str(m) for m in get_messages(request)]


def _raising(exc: Exception) -> Any:
    def view(request: HttpRequest, thing: int = 0) -> HttpResponse:
        raise exc

    return view


def test_missing_is_404_whatever_the_method() -> None:
    for method in ("get", "post"):
        with pytest.raises(Http404):
            page_errors(_raising(NotFound("thing")))(_request(method))
    with pytest.raises(Http404):  # and ``back`` never hides it
        page_errors(back="/", refused="message")(_raising(NotFound()))(_request())


def test_forbidden_is_the_403_page_or_for_a_posted_form_a_message_and_back(db) -> None:
    with translation.override("en"):
        for view in (
            page_errors(_raising(PermissionDenied("no"))),
            page_errors(back="/list/")(_raising(PermissionDenied("no"))),
        ):
            r = view(_request())
            assert r.status_code == 403 and b"Not allowed" in r.content
        asked = _request("get")  # a page is never answered by going elsewhere
        view = page_errors(back="/list/", refused="message")(_raising(PermissionDenied("no")))
        assert view(asked).status_code == 403 and not _said(asked)

        posted = _request()
        r = view(posted)
        assert r.status_code == 302 and r["Location"] == "/list/"
        assert _said(posted) == ["Your role may not make this change."]


def test_refused_input_is_translated_messages_and_back() -> None:
    def back(request: HttpRequest, thing: int) -> str:
        return f"/things/{thing}/list/"

    view = page_errors(back=back)(_raising(WRONG))
    request = _request()
    with translation.override("zh-hans"):
        r = view(request, thing=7)
        said = _said(request)
    assert r.status_code == 302 and r["Location"] == "/things/7/list/"  # the view's arguments
    assert said[0] == "日期：不能晚于今天", said  # the field in words, not its code
    assert said[1].startswith("行 3 · 民警：") and "X7" in said[1], said

    request = _request()  # without ``back``: to the address the form was posted to
    r = page_errors(_raising(WRONG))(request)
    assert r.status_code == 302 and r["Location"] == "/things/7/"


def test_a_page_asked_for_with_input_that_does_not_validate_is_not_found() -> None:
    with pytest.raises(Http404):
        page_errors(_raising(WRONG))(_request("get"))
    with pytest.raises(Http404):  # back to itself would ask the same again, for ever
        page_errors(back="/things/7/")(_raising(WRONG))(_request("get"))
    asked = _request("get", "/things/7/?band=x")
    r = page_errors(back="/things/7/")(_raising(WRONG))(asked)
    assert r.status_code == 302 and r["Location"] == "/things/7/" and len(_said(asked)) == 2


def test_many_reasons_are_cut_short_and_a_conflict_says_its_message() -> None:
    many = ValidationFailed([FieldError("x", "bad", row=n) for n in range(1, 61)])
    request = _request()
    with translation.override("en"):
        page_errors(_raising(many))(request)
    said = _said(request)
    assert len(said) == 51 and said[-1] == "… and 10 more." and said[0] == "Row 1 · bad"
    request = _request()
    page_errors(_raising(Conflict("the car is taken")))(request)
    assert _said(request) == ["the car is taken"]


def test_back_may_answer_with_a_whole_page_that_shows_the_messages() -> None:
    def partial(request: HttpRequest, thing: int = 0) -> HttpResponse:
        return HttpResponse(" | ".join(str(m) for m in get_messages(request)))

    request = _request()
    with translation.override("en"):
        r = page_errors(back=partial)(_raising(WRONG))(request)
    assert r.status_code == 200 and r.content.startswith(b"Date: ")


def test_a_form_shows_the_refusal_on_its_fields_and_an_import_by_row() -> None:
    class Form(DomainErrorsForm):
        on = forms.DateField()

    form = Form({"on": "2026-01-01"})
    assert form.is_valid()
    with translation.override("zh-hans"), form.reporting():
        raise WRONG
    assert form.errors["on"] == ["不能晚于今天"]
    assert form.non_field_errors() == ["没有警号为 X7 的民警"]  # a field it does not have: on top

    errors: list[ErrorRow] = []
    with translation.override("en"), by_row(errors, {"officer": "police number"}):
        raise WRONG
    assert errors[1] == (3, "police number", "no officer X7") and errors[0][:2] == (None, "")


def test_a_value_from_the_address_that_does_not_parse_is_not_found() -> None:
    def month(text: str) -> int:
        if text != "2026-01":
            raise ValidationFailed([FieldError("month", "not a month")])
        return 1

    assert from_address(month, "2026-01") == 1
    with pytest.raises(Http404):
        from_address(month, "2026-13")


def test_a_planning_run_that_does_not_exist_is_not_found(city) -> None:
    """Before, the page let the service's NotFound through: a server error."""
    assert city.client("command").get(f"/planning/runs/{uuid.uuid4()}/").status_code == 404


def test_a_page_form_that_does_not_validate_is_refused_like_a_service_would() -> None:
    """Merit's and campaigns' page forms (merit/forms.py, campaigns/forms.py): the same field
    names as before; what they cannot parse is a refusal said on the page, in the sentence the
    page used before (``invalid``) or field by field."""
    from precinct.campaigns.forms import CampaignForm, TargetForm
    from precinct.merit.forms import AchievementDecisionForm, FundForm, WarningDecisionForm

    assert FundForm({"yuan": "12,000"}).parsed()["yuan"] == 12000
    assert FundForm({"yuan": "1.5"}).parsed()["yuan"] == 0  # the service refuses it, by name
    assert TargetForm({"goal": "x"}).parsed()["goal"] == -1
    ids = [str(uuid.uuid4()) for _ in range(3)]
    posted = QueryDict(mutable=True)
    posted.setlist("ids", [ids[0], "not-an-id", ids[1]])
    decided = AchievementDecisionForm(posted).parsed()
    assert decided["ids"] == [uuid.UUID(ids[0]), uuid.UUID(ids[1])]

    with pytest.raises(ValidationFailed) as refused:
        WarningDecisionForm({"measure": "caution", "start": ""}).parsed()  # a measure needs a day
    with translation.override("en"):
        assert [reason(e) for e in refused.value.errors] == [
            "start: a date as YYYY-MM-DD; days: a whole number"
        ]
    with pytest.raises(ValidationFailed) as refused:
        CampaignForm({"code": "X", "starts": "2026-02-30"}).parsed()
    assert [e.field for e in refused.value.errors] == ["starts"]
