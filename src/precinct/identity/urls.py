from django.urls import include, path

from . import views

app_name = "identity"
urlpatterns = [
    path("", views.audit_log, name="audit_log"),
    path("verify/", views.audit_verify, name="audit_verify"),
    path("", include("precinct.identity.grants")),  # the security administrator's approvals
]
