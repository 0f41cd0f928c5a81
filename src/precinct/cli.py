"""The `precinct` console script: one command over Django management commands."""

import os
import sys

COMMANDS = {
    "db": "database schema: upgrade, status",
    "serve": "serve the web app and API (uvicorn) and a job worker: --host --port --no-jobs",
    "jobs": "background work: worker [--once], list",
    "demo": "demo city: load [--seed N] [--if-empty], replay [--speed X] [--minutes N]",
    "org": "organisation: refresh (current units from postings now in force)",
    "supervision": "law-enforcement supervision: check FILE.json [--at ISO] [--json]",
    "merit": "三一 monthly mechanism: close-month, fund, pay, ledger verify, pack",
    "network": "road network: load FILE.osm.pbf, synthetic, info",
    "traffic": "traffic by hour of day: learn [--days N], show",
    "plan": "patrol planning: hypercube FILE.json [--method exact|approx] [--json]",
    "token": "API tokens: create USERNAME, revoke ID",
    "audit": "audit log: verify",
    "keys": "field keys of personal data: new, status, rotate-fields",
    "province": "province view's replication: publish (a city), subscribe CITY CONNINFO, status",
}

USAGE = (
    "usage: precinct COMMAND [ARGS]...\n\nCommands:\n"
    + "\n".join(f"  {name:<12} {text}" for name, text in COMMANDS.items())
    + (
        "\n\n`precinct COMMAND --help` tells more. Django's own commands (migrate, shell, …) work too.\n"
        "Configuration: PRECINCT_DATABASE_URL, PRECINCT_SECRET_KEY, PRECINCT_TZ, PRECINCT_ENV, "
        "PRECINCT_VAR_DIR (see README)."
    )
)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return
    if args[0] in {"--version", "version"}:
        from precinct import __version__

        print(f"precinct {__version__}")
        return
    if args[:2] == ["keys", "new"]:  # before the settings: production ones need a key already
        from precinct.common.encryption import key_id, new_key, parse_key

        key = new_key()
        print(key)
        print(f"key id {key_id(parse_key(key))}", file=sys.stderr)
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "precinct.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["precinct", *args])


if __name__ == "__main__":
    main()
