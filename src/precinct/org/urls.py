from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("units/", views.unit_tree, name="unit_tree"),
    path("officers/", views.officer_list, name="officer_list"),
    path("officers/new/", views.officer_create, name="officer_create"),
    path("officers/<uuid:officer_id>/", views.officer_detail, name="officer_detail"),
    path("officers/<uuid:officer_id>/edit/", views.officer_edit, name="officer_edit"),
    path("officers/<uuid:officer_id>/photo", views.officer_photo, name="officer_photo"),
    path("officers/<uuid:officer_id>/assign/", views.assignment_add, name="assignment_add"),
    path("roster/export.xlsx", views.roster_export, name="roster_export"),
    path("roster/template.xlsx", views.roster_template, name="roster_template"),
    path("roster/import/", views.roster_import, name="roster_import"),
    path("deployment/", views.deployment, name="deployment"),
    path("deployment/plan/", views.secondment_plan, name="secondment_plan"),
    path(
        "deployment/<uuid:secondment_id>/approve/",
        views.secondment_approve,
        name="secondment_approve",
    ),
    path(
        "deployment/<uuid:secondment_id>/cancel/", views.secondment_cancel, name="secondment_cancel"
    ),
    path(
        "deployment/<uuid:secondment_id>/return/", views.secondment_return, name="secondment_return"
    ),
    path(
        "deployment/<uuid:secondment_id>/stay-request/",
        views.secondment_stay_request,
        name="secondment_stay_request",
    ),
    path(
        "deployment/<uuid:secondment_id>/stay-decision/",
        views.secondment_stay_decide,
        name="secondment_stay_decide",
    ),
]
