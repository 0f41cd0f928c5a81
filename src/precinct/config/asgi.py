"""ASGI entry point (uvicorn). Refuses to start on a database with unapplied migrations, or with
field keys that do not open its sealed personal data. Bodies over their limit are refused in
front of Django, before they are read (``body_limit``, ADR 0021). Each request runs on a
thread kept from request to request, with its database connection (``handler``, ADR 0040)."""

import logging
import os
from concurrent.futures import ThreadPoolExecutor

from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "precinct.config.settings")

from precinct.config.body_limit import BodyLimit
from precinct.config.handler import end_with_parent, get_asgi_application, settle_heap

end_with_parent()  # a worker of `precinct serve --workers N` ends with its supervisor
application = BodyLimit(get_asgi_application())

from precinct.geo import services as geo  # noqa: E402
from precinct.ops.checks import require_field_keys, require_migrated  # noqa: E402


def _start() -> None:
    try:
        require_migrated()
        require_field_keys()
        try:  # the road networks and their engines, before the first dispatch asks
            geo.warm()
        except Exception:  # the pages and the rest of the API serve without them
            logging.getLogger("precinct").exception(
                "the road networks could not be read at start; dispatch will try again"
            )
    finally:
        connections.close_all()


# uvicorn's worker processes (`precinct serve --workers 2` and more) import the app inside their
# event loop, where Django refuses database work: the checks run in a thread of their own, and
# what they raise (SystemExit) is raised here.
with ThreadPoolExecutor(max_workers=1) as _pool:
    _pool.submit(_start).result()

settle_heap()  # what the process keeps, out of the garbage collector's rounds (ADR 0040)
