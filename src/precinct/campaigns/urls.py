from django.urls import path

from . import views

app_name = "campaigns"
urlpatterns = [
    path("", views.index, name="list"),
    path("compare/", views.compare, name="compare"),
    path("<uuid:campaign_id>/", views.detail, name="detail"),
    path("<uuid:campaign_id>/report/", views.report_file, name="report"),
    path("items/<uuid:item_id>/move/", views.item_move, name="item_move"),
]
