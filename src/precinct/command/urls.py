from django.urls import path

from . import views

app_name = "command"
urlpatterns = [
    path("", views.board, name="board"),
    path("board.json", views.board_json, name="board_json"),
    path("network.geojson", views.network, name="network"),
    path("stream", views.stream, name="stream"),
    path("figures/", views.figures, name="figures"),
    path("figures.xlsx", views.figures_export, name="figures_export"),
]
