"""ASGI entry point (uvicorn). Refuses to start on a database with unapplied migrations, or with
field keys that do not open its sealed personal data. Bodies over their limit are refused in
front of Django, before they are read (``body_limit``, ADR 0021)."""

import os
from concurrent.futures import ThreadPoolExecutor

from django.core.asgi import get_asgi_application
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "precinct.config.settings")

from precinct.config.body_limit import BodyLimit

application = BodyLimit(get_asgi_application())

from precinct.ops.checks import require_field_keys, require_migrated  # noqa: E402


def _check() -> None:
    try:
        require_migrated()
        require_field_keys()
    finally:
        connections.close_all()


# uvicorn's worker processes (`precinct serve --workers 2` and more) import the app inside their
# event loop, where Django refuses database work: the checks run in a thread of their own, and
# what they raise (SystemExit) is raised here.
with ThreadPoolExecutor(max_workers=1) as _pool:
    _pool.submit(_check).result()
