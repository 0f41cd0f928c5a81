from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeritConfig(AppConfig):
    name = "precinct.merit"
    label = "merit"
    verbose_name = _("Merit and the monthly mechanism")

    def ready(self) -> None:
        from . import services

        services.connect()
