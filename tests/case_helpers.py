"""Helpers for the household and complex-case tests: form data as a browser sends it,
cases in any status, uploads, the canary identity and SQL query counting."""

import html
import io
import re
import struct
import zlib
from contextlib import contextmanager
from datetime import date, timedelta
from itertools import count

import sqlalchemy as sa

from portal.cases.services import create_case
from portal.extensions import db
from portal.models import (
    Accommodation,
    Case,
    CaseEvent,
    CaseParticipant,
    CaseStatus,
    Household,
    HouseholdPublic,
    now_utc,
)
from tests.conftest import CANARY_NAME

CANARY_FIRST, CANARY_LAST = CANARY_NAME.split()
# Everything that identifies the canary household, as it is stored by ``make_household``.
CANARY_MARKERS = (CANARY_NAME, CANARY_FIRST, CANARY_LAST, "06 11 22 33 44", "zephyrine@")


def png_bytes() -> bytes:
    """A real 1×1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


PNG_BYTES = png_bytes()


def another_household(number: int = 2) -> dict:
    """Overrides of ``household_data`` for another family: a second file for the same
    persons would be pointed at the first one."""
    return {f"persons-{i}-last_name": f"Famille{number}" for i in (0, 1)}


def household_data(**overrides) -> dict:
    """The household form as a social worker fills it in; ``None`` leaves a field out."""
    data = {
        "public": "famille_monoparentale",
        "adults": "1",
        "children": "2",
        "children_ages": "3, 7",
        "accommodation": "chrs_urgence",
        "accommodation_since": (date.today() - timedelta(days=400)).isoformat(),
        "resource_type": "rsa",
        "resource_bracket": "500_800",
        "typology": "T3",
        "obstacles": ["dettes", "mobilite"],
        "situation_notes": "Budget travaillé avec la conseillère, dette FSL soldée.",
        "persons-0-role": "demandeur",
        "persons-0-first_name": CANARY_FIRST,
        "persons-0-last_name": CANARY_LAST,
        "persons-0-birth_date": "1990-05-04",
        "persons-1-role": "enfant",
        "persons-1-first_name": "Hugo",
        "persons-1-last_name": CANARY_LAST,
        "persons-1-birth_date": (date.today() - timedelta(days=3 * 365 + 10)).isoformat(),
        # A browser sends the select of every person row, even the empty ones.
        "persons-2-role": "demandeur",
        "persons-3-role": "demandeur",
        "phone": "06 11 22 33 44",
        "email": "zephyrine@exemple.fr",
        "address": "CHRS Le Phare, Concarneau",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def open_case(
    household,
    author,
    committee,
    status: CaseStatus = CaseStatus.SUBMITTED,
    title: str = "Relogement bloqué par une dette",
    question: str = "Quel bailleur pour un T2 ?",
) -> Case:
    """A case of ``household`` posted to ``committee``, put straight into ``status``."""
    case = create_case(
        household,
        author,
        {"committee_id": committee.id, "title": title, "question": question},
    )
    case.status = status
    if status != CaseStatus.DRAFT:
        case.submitted_at = now_utc()
    if status == CaseStatus.CLOSED:
        case.closed_at = now_utc()
    db.session.commit()
    return case


def upload(client, case, content: bytes | None, name: str = "bilan.pdf"):
    data = {} if content is None else {"file": (io.BytesIO(content), name)}
    return client.post(
        f"/cases/{case.id}/attachments", data=data, content_type="multipart/form-data"
    )


def share(client, case, organisation, level: str = "situation", reason: str = "Suivi FSL"):
    return client.post(
        f"/cases/{case.id}/participants",
        data={"organisation_id": str(organisation.id), "level": level, "reason": reason},
    )


def change(client, case, transition: str):
    return client.post(f"/cases/{case.id}/status", data={"transition": transition})


def timeline(case) -> list[CaseEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
    )


def listed_case_ids(page: str) -> list[int]:
    """The cases listed in the table of /cases/, in order."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return [int(i) for i in re.findall(r'<tr>\s*<td><a href="/cases/(\d+)">', body)]


def listed_rows(page: str) -> dict[int, str]:
    """Each listed case's table row, unescaped."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return {
        int(case_id): html.unescape(row)
        for case_id, row in re.findall(r'<tr>\s*<td><a href="/cases/(\d+)">(.*?)</tr>', body, re.S)
    }


def canary_traces(text: str) -> list[str]:
    """The pieces of the canary identity found in a page, an e-mail or a file."""
    plain = html.unescape(text).casefold()
    return [marker for marker in CANARY_MARKERS if marker.casefold() in plain]


@contextmanager
def counting_queries():
    """The SQL statements sent to the database inside the block."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


_reference_numbers = count(1)


def bulk_cases(specs: list[dict]) -> list[Case]:
    """Many cases at once, without the services' events: for lists, filters and counts.

    Each spec gives ``organisation``, ``committee`` and optionally ``status``, ``public``,
    ``title``, ``created`` and ``shares`` (a list of (organisation, AccessLevel))."""
    cases = []
    for spec in specs:
        organisation = spec["organisation"]
        household = Household(
            reference=f"TEST-2020-{next(_reference_numbers):05d}",
            organisation=organisation,
            public=spec.get("public", HouseholdPublic.HOMME_SEUL),
            accommodation=Accommodation.HOTEL,
        )
        status = spec.get("status", CaseStatus.SUBMITTED)
        created = spec.get("created", now_utc())
        case = Case(
            household=household,
            organisation_id=organisation.id,
            committee_id=spec["committee"].id,
            title=spec.get("title", "Situation de test"),
            question="Quelle solution ?",
            status=status,
            created=created,
            updated=created,
            closed_at=now_utc() if status == CaseStatus.CLOSED else None,
            participants=[
                CaseParticipant(organisation_id=o.id, level=level, reason="Test")
                for o, level in spec.get("shares", ())
            ],
        )
        cases.append(case)
    db.session.add_all(cases)
    db.session.commit()
    return cases
