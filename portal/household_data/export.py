"""The right-of-access export (RGPD art. 15): everything held about one household, read
through the registry, as JSON and as a document in French to hand to the person.

The JSON file (``schema_version`` 2)::

    {
      "schema_version": 2,
      "reference": "CCAS-2026-014",           # the household's pseudonymous reference
      "organisation": "CCAS de Concarneau",   # the organisation that holds the file
      "exported_at": "2026-05-04T09:12:00+00:00",
      "sections": {                            # one per registry part, always present
        "personnes": {
          "title": "Personnes du ménage",     # in French
          "fields": {"role": "Rôle", "first_name": "Prénom", ...},  # key -> French label
          "rows": [{"id": 12, "role": "Demandeur principal", "first_name": "…", ...}]
        },
        ...
      }
    }

Every row has its ``id`` (the database's) and the keys of ``fields``: the registry's text
columns, as stored, and its details, converted: dates and times in ISO 8601 (UTC), amounts
as decimal strings, coded values as their French label, a related row as its name, lists
as lists, ``null`` when empty. The access log is the section ``journal_des_acces``.

What is left out or cut, and why:
- notes another organisation marked internal, and their timeline lines: the owning
  organisation may not read them (``permissions.organisation_notes_clause``);
- in text shared with other households (the sections ``reunions``, ``comptes_rendus``,
  ``versions_des_comptes_rendus``, ``avis_generaux``, ``autres_…``, ``journal_des_reunions``)
  only the paragraphs that mention the household, joined by a blank line; rows with none
  are left out;
- an e-mail written about several households at once (a meeting's invitation and its
  agenda) is listed with its text replaced by ``WITHHELD``.
"""

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import format_date, format_datetime

from portal.extensions import db
from portal.household_data.registry import PARTS, Erasure, Mentions, Part
from portal.i18n import _
from portal.models import Household

SCHEMA_VERSION = 2
WITHHELD = "[message commun à plusieurs ménages : texte non reproduit]"


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    value: object
    in_document: bool = True


@dataclass(frozen=True)
class Row:
    id: object
    fields: list[Field]


@dataclass(frozen=True)
class Section:
    part: Part
    rows: list[Row]


def collect(household: Household) -> list[Section]:
    """Each part's rows about the household, as its owning organisation may read them."""
    mentions = Mentions.of(household)
    sections = []
    for part in PARTS:
        query = part.rows(household.id)
        if part.readable is not None:
            query = query.where(part.readable(household))
        key = sa.inspect(part.model).primary_key[0]
        rows = db.session.scalars(query.order_by(key)).unique().all()
        withheld = (
            set(db.session.scalars(part.shared_rows(household.id))) if part.shared_rows else set()
        )
        found = []
        for row in rows:
            texts = texts_of(part, row, mentions, withheld)
            if part.erasure is Erasure.PASSAGES and not texts:
                continue  # shared text that does not mention the household
            details = [Field(d.key, str(d.label), d.value(row)) for d in part.details]
            found.append(Row(sa.inspect(row).identity[0], details + texts))
        sections.append(Section(part, found))
    return sections


def texts_of(part: Part, row, mentions: Mentions, withheld: set) -> list[Field]:
    texts = []
    for text in part.text:
        value = getattr(row, text.name)
        if part.erasure is Erasure.PASSAGES:
            found = text.passages(value, mentions) if text.passages else mentions.passages(value)
            if not found:
                continue
            value = "\n\n".join(found)
        elif sa.inspect(row).identity[0] in withheld:
            value = WITHHELD
        texts.append(Field(text.name, str(text.label), value, text.in_document))
    return texts


def plain(value):
    """A value as JSON holds it."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return getattr(value, "label", value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return str(value)  # a related row: its name


def as_json(household: Household, sections: list[Section], exported_at: datetime) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "reference": household.reference,
        "organisation": household.organisation.name,
        "exported_at": exported_at.isoformat(),
        "sections": {
            section.part.key: {
                "title": str(section.part.title),
                "fields": {
                    **{d.key: str(d.label) for d in section.part.details},
                    **{t.name: str(t.label) for t in section.part.text},
                },
                "rows": [
                    {"id": row.id, **{f.key: plain(f.value) for f in row.fields}}
                    for row in section.rows
                ],
            }
            for section in sections
        },
    }


def shown(value) -> str:
    """A value as the document shows it, in French."""
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, enum.Enum):
        return str(getattr(value, "label", value.value))
    if isinstance(value, datetime):
        return format_datetime(value, _("d MMMM yyyy 'à' HH:mm"))
    if isinstance(value, date):
        return format_date(value, _("d MMMM yyyy"))
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, list | tuple):
        return ", ".join(shown(item) for item in value)
    return str(value)


@dataclass(frozen=True)
class DocumentSection:
    title: str
    rows: list[list[tuple[str, str]]]  # (label, value) of each field that holds something


def as_document(sections: list[Section]) -> list[DocumentSection]:
    """The sections that hold something, each field shown in French."""
    return [
        DocumentSection(
            str(section.part.title),
            [
                [
                    (field.label, shown(field.value))
                    for field in row.fields
                    if field.in_document and field.value not in (None, "", [])
                ]
                for row in section.rows
            ],
        )
        for section in sections
        if section.rows
    ]
