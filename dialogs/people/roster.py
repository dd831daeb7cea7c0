"""The roster import: `python -m bot people import roster.csv [--dry-run]`.

The file is read with the csv module and checked row by row; every problem is reported with its
line and column, and then nothing is changed. A good file is applied in one transaction (all or
nothing); a dry run applies it the same way and rolls back, so it prints exactly what a real run
would change. Columns, in any order (the first line names them; case and spaces do not matter):
name, email_or_aad_id, role, line_manager, peer_supervisor, start_date, team, and optionally
organisation. Dates are ISO (2026-01-05) or day/month/year (05/01/2026).
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.shared.content import Content
from dialogs.shared.inputs import storable
from storage.people.roster import Change, Ref, RosterRow, apply, unknown_references

REQUIRED = ("name", "email_or_aad_id", "role", "line_manager", "peer_supervisor", "start_date", "team")
COLUMNS = (*REQUIRED, "organisation")
ROLES = ("worker", "peer_supervisor", "line_manager", "peer_lead")
MAX_TEXT = 200
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    what: str  # a text under people.roster.problems
    value: str = ""
    other: int = 0  # the line a duplicate first appeared on


def parse_ref(value: str) -> Ref | None:
    """An email address or an AAD object id (a GUID), normalised; None when it is neither."""
    value = value.strip()
    if "@" in value:
        try:
            address = Address(addr_spec=value)
        except (ValueError, HeaderParseError, IndexError):
            return None
        return ("email", value.lower()) if "." in address.domain and address.username else None
    try:
        return "aad", str(uuid.UUID(value))
    except ValueError:
        return None


def parse_date(value: str) -> date | None:
    """ISO 8601 (2026-01-05) or UK day/month/year (05/01/2026)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        return None


def read(text: str) -> tuple[list[RosterRow], list[Problem]]:
    """Every row of the file, or the problems that stop it (then the rows are not to be used)."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return [], [Problem(1, "", "empty")]
    names = ["_".join(h.strip().lower().split()) for h in header]
    missing = [c for c in REQUIRED if c not in names]
    unknown = [n for n in names if n not in COLUMNS]
    if missing or unknown or len(set(names)) != len(names):
        return [], [Problem(1, "", "header", ", ".join(missing + unknown) or ", ".join(names))]
    rows: list[RosterRow] = []
    problems: list[Problem] = []
    seen: dict[Ref, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            problems.append(Problem(line, "", "fields", str(len(cells))))
            continue
        row, row_problems = _row(line, dict(zip(names, (c.strip() for c in cells))))
        problems += row_problems
        if row is not None:
            if row.ref in seen:
                problems.append(Problem(line, "email_or_aad_id", "duplicate", row.ref[1], seen[row.ref]))
            else:
                seen[row.ref] = line
                rows.append(row)
    return rows, problems


def _row(line: int, cells: dict[str, str]) -> tuple[RosterRow | None, list[Problem]]:
    problems = [Problem(line, column, "characters") for column, value in cells.items()
                if not storable(value, multiline=False)]
    problems += [Problem(line, column, "too_long") for column in ("name", "team", "organisation")
                 if len(cells.get(column, "")) > MAX_TEXT]
    if not cells["name"]:
        problems.append(Problem(line, "name", "required"))
    ref = parse_ref(cells["email_or_aad_id"])
    if ref is None:
        problems.append(Problem(line, "email_or_aad_id", "bad_id", cells["email_or_aad_id"]))
    roles = tuple(r.strip().lower().replace(" ", "_") for r in cells["role"].split(";") if r.strip())
    problems += [Problem(line, "role", "role", r) for r in roles if r not in ROLES]
    if not roles:
        problems.append(Problem(line, "role", "required"))
    if "peer_lead" in roles and ref is not None and ref[0] != "aad":
        problems.append(Problem(line, "role", "lead_needs_aad"))
    links: dict[str, Ref | None] = {}
    for column in ("line_manager", "peer_supervisor"):
        links[column] = parse_ref(cells[column]) if cells[column] else None
        if cells[column] and links[column] is None:
            problems.append(Problem(line, column, "bad_id", cells[column]))
        elif links[column] is not None and links[column] == ref:
            problems.append(Problem(line, column, "self"))
    start = parse_date(cells["start_date"]) if cells["start_date"] else None
    if cells["start_date"] and start is None:
        problems.append(Problem(line, "start_date", "date", cells["start_date"]))
    if problems or ref is None:
        return None, problems
    return RosterRow(line, cells["name"], ref, roles, links["line_manager"], links["peer_supervisor"], start,
                     cells["team"], cells.get("organisation", "")), []


async def import_roster(open_db: async_sessionmaker[AsyncSession], content: Content, path: Path, *,
                        dry_run: bool, today: date, now: datetime) -> tuple[int, list[str]]:
    """Check and apply a roster file. Returns the exit status and the lines to print."""
    t = content.text
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig") if len(raw) <= MAX_BYTES else None
    except (OSError, UnicodeDecodeError):
        return 2, [t("people.roster.unreadable", path=str(path))]
    if text is None:
        return 2, [t("people.roster.too_big", path=str(path))]
    rows, problems = read(text)
    async with open_db() as db:
        await db.begin()
        if not problems:
            problems = [Problem(line, column, "unknown_ref", value)
                        for line, column, value in await unknown_references(db, rows)]
        if problems:
            await db.rollback()
            lines = [t(f"people.roster.problems.{p.what}", line=p.line, column=p.column,  # text-key: people.roster.problems.*
                       value=p.value, other=p.other) for p in sorted(problems, key=lambda p: p.line)]
            return 1, [*lines, t("people.roster.refused", count=len(problems))]
        changes = await apply(db, rows, on=today, now=now)
        out = [_change(content, c) for c in changes]
        await (db.rollback() if dry_run else db.commit())
    return 0, [*out, t("people.roster.dry_run" if dry_run else "people.roster.applied",
                       count=len(changes), rows=len(rows))]


def _change(content: Content, change: Change) -> str:
    params = dict(change.params)
    if "kind" in params:
        params["kind"] = content.text(f"people.kinds.{params['kind']}")  # text-key: people.kinds.*
    return content.text(f"people.roster.changes.{change.what}", line=change.line,  # text-key: people.roster.changes.*
                        **params)
