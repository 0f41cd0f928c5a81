"""Django's PostgreSQL backend for a highly available cluster's host list (ADR 0041): each new
connection tries first the host that took this process's last one (``common.databases``), so
after a failover only the first connection pays for a primary that no longer answers."""

from typing import Any

from django.db.backends.postgresql import base

from precinct.common import databases


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        if "," in str(params.get("host") or ""):
            params["host"], params["port"] = databases.ordered(
                str(params["host"]), str(params.get("port") or "")
            )
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        host, port = (
            str(self.settings_dict.get("HOST") or ""),
            str(self.settings_dict.get("PORT") or ""),
        )
        try:
            connection = super().get_new_connection(conn_params)
        except Exception:
            databases.distrust(host, port)
            raise
        databases.remember(host, port, connection.info.host, str(connection.info.port))
        return connection
