"""Words that Django's admin (5.2) and django-axes show but whose own catalogs leave in English
for 简体 and 繁體: marked here so that this project's catalog (LOCALE_PATHS, read first)
translates them. Nothing imports this module; `makemessages` reads it."""

from django.utils.translation import gettext_noop as _

BORROWED = (
    _("Model name"),  # the admin's index table, read aloud and shown as column heads
    _("Add link"),
    _("Change or view list link"),
    _("access attempts"),  # django-axes's models (its app is named in identity.apps)
    _("access attempt"),
    _("access logs"),
    _("access log"),
    _("access failures"),
    _("access failure"),
)
