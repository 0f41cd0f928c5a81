from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "precinct.identity"
    label = "identity"
    verbose_name = _("Accounts and audit")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.apps import apps

        from precinct.core.scoping import provide_account_scopes

        from . import signals  # noqa: F401
        from .services import scope_for_username

        provide_account_scopes(scope_for_username)

        # django-axes names no app of its own: the admin would show "AXES" on a Chinese page
        apps.get_app_config("axes").verbose_name = _("Sign-in protection")
