from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandConfig(AppConfig):
    name = "precinct.command"
    label = "command"
    verbose_name = _("Command and patrol")

    def ready(self) -> None:
        from precinct.common import live

        from . import services

        live.register_probe(services.TOPIC, services.board_version)
