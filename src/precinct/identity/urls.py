from django.urls import path

from . import views

app_name = "identity"
urlpatterns = [
    path("", views.audit_log, name="audit_log"),
    path("verify/", views.audit_verify, name="audit_verify"),
]
