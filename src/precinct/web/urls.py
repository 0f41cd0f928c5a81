from django.urls import path

from . import signin, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("login/otp/", signin.otp_verify, name="otp_verify"),
    path("login/otp/setup/", signin.otp_setup, name="otp_setup"),
    path("login/confirm/", signin.reauth, name="reauth"),
    path("me/", views.profile, name="profile"),
    path("me/security/", signin.security, name="security"),
    path("me/security/recovery-codes/", signin.recovery_codes, name="recovery_codes"),
    path("me/password/", signin.PasswordChangeView.as_view(), name="password_change"),
    path("healthz", views.health, name="health"),
]
