from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from .api import api

handler400 = "precinct.web.middleware.bad_request"  # keeps the exception for the 503 check

admin.site.site_header = _("precinct")  # the brand, in the user's language (警务通)
admin.site.site_title = _("precinct")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("", include("precinct.web.urls")),
    path("org/", include("precinct.org.urls")),
    path("audit/", include("precinct.identity.urls")),
    path("accounts/", include("precinct.identity.account_urls")),
    path("supervision/", include("precinct.supervision.urls")),
    path("merit/", include("precinct.merit.urls")),
    path("command/", include("precinct.command.urls")),
    path("crew/", include("precinct.command.crew_urls")),
    path("planning/", include("precinct.planning.urls")),
    path("campaigns/", include("precinct.campaigns.urls")),
    path("stats/", include("precinct.stats.urls")),
    path("province/", include("precinct.province.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
