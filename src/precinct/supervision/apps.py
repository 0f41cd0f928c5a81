from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "precinct.supervision"
    label = "supervision"
    verbose_name = _("Law-enforcement supervision")

    def ready(self) -> None:
        from precinct.identity import labels as audit

        from . import labels, services

        services.connect()
        # the audit log names a case event's type and subject in words
        audit.name_values("cases.caseevent", "type", lambda v: labels.event_label(str(v)))
        audit.name_values("cases.caseevent", "subject", lambda v: labels.subject_label(str(v)))
