"""ASGI entry point (uvicorn). Refuses to start on a database with unapplied migrations."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "precinct.config.settings")

application = get_asgi_application()

from precinct.config.checks import require_migrated  # noqa: E402

require_migrated()
