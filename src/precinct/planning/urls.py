from django.urls import path

from . import views

app_name = "planning"
urlpatterns = [
    path("", views.index, name="index"),
    path("runs/<uuid:run_id>/", views.run, name="run"),
    path("compare/", views.compare, name="compare"),
]
