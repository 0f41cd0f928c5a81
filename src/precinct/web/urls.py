from django.urls import path

from . import jobs, me, signin, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("login/otp/", signin.otp_verify, name="otp_verify"),
    path("login/otp/setup/", signin.otp_setup, name="otp_setup"),
    path("login/confirm/", signin.reauth, name="reauth"),
    path("me/", views.profile, name="profile"),
    path("me/achievements/", me.submit, name="me_achievement"),
    path("me/security/", signin.security, name="security"),
    path("me/security/recovery-codes/", signin.recovery_codes, name="recovery_codes"),
    path("me/password/", signin.PasswordChangeView.as_view(), name="password_change"),
    path("jobs/<uuid:job_id>/", jobs.job, name="job"),
    path("jobs/<uuid:job_id>/file", jobs.job_file, name="job_file"),
    path("healthz", views.health, name="health"),
]
