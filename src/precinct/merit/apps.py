from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeritConfig(AppConfig):
    name = "precinct.merit"
    label = "merit"
    verbose_name = _("Merit and the monthly mechanism")

    def ready(self) -> None:
        from precinct.identity import labels as audit

        from . import services
        from .models import account_words, memo_words

        services.connect()
        # the audit log shows a ledger transaction's memo in words
        audit.name_values("merit.ledgertransaction", "memo", lambda v: memo_words(str(v)))
        audit.name_values("merit.account", "code", lambda v: account_words(str(v)))
