"""The system administrator's accounts page, under /accounts/ (ADR 0035)."""

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.accounts, name="list"),
    path("<str:username>/enrolment/", views.account_enrolment, name="enrolment"),
    path("<str:username>/unlock/", views.account_unlock, name="unlock"),
]
