from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "precinct.supervision"
    label = "supervision"
    verbose_name = _("Law-enforcement supervision")

    def ready(self) -> None:
        from . import services

        services.connect()
