"""Command line: `python -m bot serve | db upgrade | package --out DIR | people import FILE [--dry-run] |
feedback corrections --out FILE`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.config import SettingsError, load_settings
from dialogs.shared.content import ContentError
from bot.logs import configure_logging

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="PeerSpace, a Teams bot for peer support.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the bot's web server (POST /api/messages, GET /healthz)")
    serve.add_argument("--host", help="address to listen on (default from PEERSPACE_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default from PEERSPACE_PORT, 3978)")
    db = sub.add_parser("db", help="database tasks")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply all migrations to DATABASE_URL")
    package = sub.add_parser("package", help="write the Teams app package (zip) for sideloading")
    package.add_argument("--out", required=True, type=Path, help="folder to write the zip into")
    people = sub.add_parser("people", help="who supports whom")
    people_sub = people.add_subparsers(dest="people_command", required=True)
    roster = people_sub.add_parser("import", help="import a roster CSV (all or nothing)")
    roster.add_argument("file", type=Path, help="the CSV file (header: name, email_or_aad_id, role, line_manager, "
                                                "peer_supervisor, start_date, team[, organisation])")
    roster.add_argument("--dry-run", action="store_true", help="check and print what would change; change nothing")
    feedback = sub.add_parser("feedback", help="feedback tasks")
    feedback_sub = feedback.add_subparsers(dest="feedback_command", required=True)
    corrections = feedback_sub.add_parser("corrections", help="export facilitators' theme corrections (YAML)")
    corrections.add_argument("--out", required=True, type=Path, help="file to write")
    return parser


def _import_roster(settings, path: Path, dry_run: bool) -> int:
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from bot.app import load_all_content
    from dialogs.people.roster import import_roster
    from storage.db import create_engine, create_sessionmaker

    async def run() -> int:
        engine = create_engine(settings.database_url)
        try:
            now = datetime.now(timezone.utc)
            status, lines = await import_roster(
                create_sessionmaker(engine), load_all_content(settings), path, dry_run=dry_run,
                today=now.astimezone(ZoneInfo(settings.default_time_zone)).date(), now=now)
        finally:
            await engine.dispose()
        print("\n".join(lines), file=sys.stdout if status == 0 else sys.stderr)
        return status

    return asyncio.run(run())


def _serve(settings, host: str | None, port: int | None) -> int:
    from aiohttp import web

    from bot.app import create_app

    overrides: dict[str, object] = {}
    if host:
        overrides["host"] = host
    if port:
        overrides["port"] = port
    if overrides:
        settings = load_settings(**{**settings.model_dump(), **overrides})
    app = create_app(settings)
    log.info("PeerSpace listening on http://%s:%d/api/messages", settings.host, settings.port)
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings.log_level)
        if args.command == "serve":
            return _serve(settings, args.host, args.port)
        if args.command == "db":
            from storage.migrate import upgrade_url

            asyncio.run(upgrade_url(settings.database_url))
            print("database is up to date")
            return 0
        if args.command == "people":
            return _import_roster(settings, args.file, args.dry_run)
        if args.command == "package":
            from bot.package import build_package

            path = build_package(settings, args.out)
            print(f"wrote {path}")
            return 0
        if args.command == "feedback":
            from storage.feedback.corrections import export_yaml

            args.out.write_text(asyncio.run(export_yaml(settings.database_url)), encoding="utf-8")
            print(f"wrote {args.out}")
            return 0
    except (SettingsError, ContentError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
