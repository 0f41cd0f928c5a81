from django.urls import path

from . import crew_views

app_name = "crew"
urlpatterns = [
    path("", crew_views.terminal, name="terminal"),
    path("state.json", crew_views.state, name="state"),
    path("stream", crew_views.stream, name="stream"),
    path("manifest.webmanifest", crew_views.manifest, name="manifest"),
    path("sw.js", crew_views.service_worker, name="sw"),
]
