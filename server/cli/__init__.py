"""The ``jxc`` command: serve, migrate, demo-data, check, …, one module per command group.

Each group module registers its subcommands (``add_parser(sub)``), names them (``COMMANDS``) and
runs them (``run(args, settings) -> int``); ``main`` parses, loads the settings, configures logging
and hands the command to its group."""

from __future__ import annotations

import argparse

from server.cli import access, database, finance, housekeeping, imports, jobs, labels, maintenance, serve
from server.core.audit import audited
from server.core.settings import load_settings
from server.core.version import jxc_version
from server.web.logs import configure_logging

GROUPS = (serve, database, maintenance, housekeeping, jobs, finance, labels, imports, access)

# the order `jxc --help` lists the commands in: serve, migrate, demo-data, check, backup, restore, housekeeping, worker, jobs, finance,
# labels, expiring, import, export, user, role, token
_REGISTER = (
    serve.add_parser,
    database.add_parser,
    maintenance.add_parser,
    housekeeping.add_parser,
    jobs.add_parser,
    finance.add_parser,
    labels.add_parser,
    jobs.add_expiring_parser,
    imports.add_parser,
    access.add_parser,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jxc", description="jxc 进销存 server")
    parser.add_argument("--version", action="version", version=f"jxc {jxc_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for register in _REGISTER:
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    for group in GROUPS:
        if args.command in group.COMMANDS:
            with audited("system:cli", args.command):  # what a command changes is audited as the CLI's
                return group.run(args, settings)
    return 2  # pragma: no cover
