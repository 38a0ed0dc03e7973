"""The documents' wording (defaults overridden by the coordinator's rows) and their content,
built for one reader of one measure. Functions flush; the view commits."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import sqlalchemy as sa
from flask_babel import format_date

from portal import permissions
from portal.audit import record_event
from portal.documents.catalogue import CCAS, DOCUMENTS, LANDLORD, WORDINGS, Document
from portal.extensions import db
from portal.formatting import euros, plain_number
from portal.i18n import _
from portal.local_time import PARIS
from portal.models import (
    AuditAction,
    Bilan,
    BilanKind,
    DocumentWording,
    Measure,
    MeasureStatus,
    User,
)

# Wording ------------------------------------------------------------------------------------


def wording_for(slug: str) -> dict[str, str]:
    """Each passage of a wording group: the coordinator's text, else the default."""
    texts = {p.key: str(p.default) for p in WORDINGS[slug].passages}
    for row in db.session.scalars(
        sa.select(DocumentWording).where(DocumentWording.document == slug)
    ):
        if row.passage in texts:
            texts[row.passage] = row.text
    return texts


def customised(slug: str) -> set[str]:
    return set(
        db.session.scalars(
            sa.select(DocumentWording.passage).where(DocumentWording.document == slug)
        )
    )


def save_wording(slug: str, texts: dict[str, str], actor: User) -> int:
    """Store the passages that differ from their default; an empty or default text goes
    back to the default. Returns how many passages changed."""
    changed = 0
    rows = {
        r.passage: r
        for r in db.session.scalars(
            sa.select(DocumentWording).where(DocumentWording.document == slug)
        )
    }
    for passage in WORDINGS[slug].passages:
        text = (texts.get(passage.key) or "").strip()
        row = rows.get(passage.key)
        if not text or text == str(passage.default).strip():
            if row is not None:
                db.session.delete(row)
                changed += 1
            continue
        if row is None:
            db.session.add(
                DocumentWording(
                    document=slug, passage=passage.key, text=text[:4000], updated_by_id=actor.id
                )
            )
            changed += 1
        elif row.text != text:
            row.text, row.updated_by_id = text[:4000], actor.id
            changed += 1
    db.session.flush()
    if changed:
        record_event(
            AuditAction.CHANGE,
            "document_wording",
            None,
            f"Textes du document « {WORDINGS[slug].title} » modifiés ({changed})",
            user=actor,
        )
    return changed


# Who reads ----------------------------------------------------------------------------------


def audience(user, measure: Measure) -> str | None:
    """CCAS or LANDLORD: see ``permissions.measure_documents_audience``."""
    return permissions.measure_documents_audience(user, measure)


def documents_for(reader_audience: str) -> list[Document]:
    return [d for d in DOCUMENTS.values() if reader_audience in d.audiences]


# Content ------------------------------------------------------------------------------------


@dataclass
class Block:
    """One part of a document: a heading, a paragraph, label/value rows, dated steps, a line
    to complete by hand, or the signatures."""

    kind: str  # "h2", "p", "facts", "steps", "fill", "signatures"
    text: str = ""
    rows: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Content:
    title: str
    subtitle: str
    author: str
    blocks: list[Block]
    large_type: bool = False
    audience: str = CCAS

    def cleaned(self, clean) -> Content:
        """The same content, every text passed through ``clean``."""
        return replace(
            self,
            title=clean(self.title),
            subtitle=clean(self.subtitle),
            author=clean(self.author),
            blocks=[
                Block(b.kind, clean(b.text), [(clean(k), clean(v)) for k, v in b.rows])
                for b in self.blocks
            ],
        )


def day(value: date | None) -> str:
    return format_date(value, "d MMMM yyyy") if value else "—"


def next_bilan(measure: Measure) -> Bilan | None:
    return next((b for b in measure.bilans if not b.is_done), None)


def slide_date(measure: Measure) -> date | None:
    """When the lease slides: the date it did, else the decision at 12 months (or at the
    end of a prolongation)."""
    if measure.status == MeasureStatus.SLID:
        return measure.end_date
    decisions = [
        b.due_date
        for b in measure.bilans
        if b.kind in (BilanKind.TWELVE_MONTHS, BilanKind.EXTENSION) and not b.is_done
    ]
    return max(decisions) if decisions else measure.extended_until


def household_names(measure: Measure, user) -> str:
    """The household's adults as written in its file: the CCAS that owns it only."""
    if not permissions.owns_household(user, measure.household):
        return ""
    names = [f"{p.first_name} {p.last_name}" for p in measure.household.persons]
    return ", ".join(names)


def unit_rows(measure: Measure) -> list[tuple[str, str]]:
    unit = measure.unit
    return [
        (_("Logement"), f"{unit.typology.label}, {plain_number(unit.surface)} m²"),
        (_("Adresse"), f"{unit.address}, {unit.commune.name}"),
        (_("Propriétaire"), unit.landlord_name),
    ]


def calendar_rows(measure: Measure) -> list[tuple[str, str]]:
    rows = [(day(measure.start_date), _("Entrée dans le logement, début de la sous-location"))]
    for bilan in measure.bilans:
        when = bilan.held_on or bilan.due_date
        state = _("tenu") if bilan.is_done else _("prévu")
        rows.append((day(when), f"{bilan.kind.label} ({state})"))
    if measure.status == MeasureStatus.SLID:
        rows.append((day(measure.end_date), _("Glissement du bail")))
    return rows


def contact_rows(
    measure: Measure, *, for_household: bool = False, reader_audience: str = CCAS
) -> list[tuple[str, str]]:
    """Whom to call. The household's referent is named to the CCAS and the household only:
    a landlord gets the CCAS's own address (the measure page hides the referent from it)."""
    rows = [(_("Organisme"), measure.organisation.name)]
    if measure.referent is not None and reader_audience == CCAS:
        label = _("Votre référent") if for_household else _("Contact au CCAS")
        rows.append((label, measure.referent.full_name))
        if measure.referent.phone:
            rows.append((_("Téléphone"), measure.referent.phone))
        rows.append((_("E-mail"), measure.referent.email))
    elif measure.organisation.contact_email:
        rows.append((_("E-mail"), measure.organisation.contact_email))
    return rows


def money_rows(measure: Measure, reader_audience: str) -> list[tuple[str, str]]:
    rows = [
        (_("Loyer mensuel hors charges"), euros(measure.rent)),
        (_("Charges mensuelles"), euros(measure.charges)),
        (_("Total mensuel"), euros(measure.rent + measure.charges)),
    ]
    if reader_audience == CCAS:  # what the household pays tells of its resources
        rows.append((_("Part payée chaque mois par le ménage"), euros(measure.household_share)))
    return rows


def build(document: Document, measure: Measure, user, reader_audience: str) -> Content:
    """The document for this reader. A landlord's version carries the unit, the dates and
    the lease's figures, never the household's names, share or situation."""
    text = wording_for(document.wording)
    ccas = reader_audience == CCAS
    names = household_names(measure, user) if ccas else ""
    blocks: list[Block] = []
    subtitle = f"{measure.organisation.name} — {measure.programme.name}"

    def passage(key: str, heading: bool = True) -> None:
        found = next(p for p in WORDINGS[document.wording].passages if p.key == key)
        if heading:
            blocks.append(Block("h2", str(found.label)))
        for paragraph in text[key].split("\n\n"):
            if paragraph.strip():
                blocks.append(Block("p", paragraph.strip()))

    if document.slug == "guide-menage":
        if names:
            blocks.append(Block("p", _("Pour : %(names)s", names=names)))
        passage("intro", heading=False)
        blocks.append(Block("h2", _("Votre logement")))
        blocks.append(Block("facts", rows=unit_rows(measure)[:2]))
        passage("sublease")
        blocks.append(Block("h2", _("Votre calendrier")))
        blocks.append(Block("steps", rows=calendar_rows(measure)))
        passage("slide")
        blocks.append(Block("h2", _("Votre loyer")))
        blocks.append(Block("facts", rows=money_rows(measure, CCAS)))
        blocks.append(Block("p", text["rent"]))
        passage("contacts")
        blocks.append(Block("facts", rows=contact_rows(measure, for_household=True)))
    elif document.slug == "contrat-sous-location":
        passage("preamble")
        blocks.append(Block("h2", _("Les parties")))
        blocks.append(
            Block(
                "facts",
                rows=[
                    (_("Locataire principal, qui sous-loue"), measure.organisation.name),
                    (_("Sous-locataire(s)"), names or "…………………………"),
                ],
            )
        )
        blocks.append(Block("h2", _("Le logement")))
        blocks.append(Block("facts", rows=unit_rows(measure)))
        passage("duration")
        blocks.append(
            Block(
                "facts",
                rows=[
                    (_("Début de la sous-location"), day(measure.start_date)),
                    (_("Décision de glissement au plus tard"), day(slide_date(measure))),
                ],
            )
        )
        blocks.append(Block("h2", _("Loyer et charges")))
        blocks.append(Block("facts", rows=money_rows(measure, CCAS)))
        passage("obligations")
        passage("support")
        blocks.append(Block("steps", rows=calendar_rows(measure)))
        blocks.append(Block("fill", _("Fait à ………………, le ………………")))
        blocks.append(
            Block(
                "signatures", rows=[(measure.organisation.name, ""), (_("Le sous-locataire"), "")]
            )
        )
    elif document.slug == "convention-proprietaire":
        blocks.append(Block("h2", _("Les parties")))
        blocks.append(
            Block(
                "facts",
                rows=[
                    (_("Le propriétaire"), measure.unit.landlord_name),
                    (_("Le locataire"), measure.organisation.name),
                ],
            )
        )
        passage("object")
        blocks.append(Block("h2", _("Le logement")))
        blocks.append(Block("facts", rows=unit_rows(measure)))
        blocks.append(Block("h2", _("Loyer et charges")))
        blocks.append(Block("facts", rows=money_rows(measure, LANDLORD)))
        passage("guarantees")
        passage("fees")
        blocks.append(Block("h2", _("Calendrier")))
        blocks.append(Block("steps", rows=calendar_rows(measure)))
        passage("slide")
        blocks.append(Block("fill", _("Fait à ………………, le ………………")))
        blocks.append(
            Block(
                "signatures",
                rows=[(measure.unit.landlord_name, ""), (measure.organisation.name, "")],
            )
        )
    elif document.slug == "glissement-bail":
        blocks.append(Block("p", _("À l'attention de : %(name)s", name=measure.unit.landlord_name)))
        passage("letter", heading=False)
        blocks.append(Block("h2", _("Avenant de glissement du bail")))
        blocks.append(Block("facts", rows=unit_rows(measure)))
        blocks.append(
            Block(
                "facts",
                rows=[
                    (_("Locataire sortant"), measure.organisation.name),
                    (_("Nouveau locataire en titre"), names or "…………………………"),
                    (_("Date d'effet du glissement"), day(slide_date(measure))),
                    (_("Loyer mensuel hors charges"), euros(measure.rent)),
                    (_("Charges mensuelles"), euros(measure.charges)),
                ],
            )
        )
        if not names:
            blocks.append(Block("fill", _("Nom et prénom du nouveau locataire : ………………")))
        passage("effects")
        blocks.append(Block("fill", _("Fait à ………………, le ………………")))
        blocks.append(
            Block(
                "signatures",
                rows=[
                    (measure.unit.landlord_name, ""),
                    (measure.organisation.name, ""),
                    (_("Le nouveau locataire"), ""),
                ],
            )
        )
    else:  # the convocations
        bilan = next_bilan(measure)
        for_household = document.slug == "convocation-menage"
        if for_household and names:
            blocks.append(Block("p", _("Pour : %(names)s", names=names)))
        elif not for_household:
            blocks.append(Block("p", _("Pour : %(name)s", name=measure.unit.landlord_name)))
        passage("intro", heading=False)
        rows = [(_("Logement"), f"{measure.unit.address}, {measure.unit.commune.name}")]
        if bilan is not None:
            rows.append((_("Objet"), str(bilan.kind.label)))
            meeting = bilan.meeting
            if meeting is not None and not meeting.is_cancelled:
                starts = meeting.starts_at.astimezone(PARIS)
                rows.append((_("Date"), day(starts.date())))
                rows.append((_("Heure"), starts.strftime("%H:%M").replace(":", " h ")))
                rows.append((_("Lieu"), meeting.location or "…………………………"))
            else:
                rows.append((_("Date prévue"), day(bilan.due_date)))
                blocks.append(Block("facts", rows=rows))
                rows = []
                blocks.append(Block("fill", _("Heure : ……………… Lieu : ………………………………")))
        if rows:
            blocks.append(Block("facts", rows=rows))
        passage("purpose")
        passage("closing", heading=False)
        blocks.append(
            Block(
                "facts",
                rows=contact_rows(
                    measure, for_household=for_household, reader_audience=reader_audience
                ),
            )
        )
    return Content(
        title=str(document.title),
        subtitle=subtitle,
        author=measure.organisation.name,
        blocks=blocks,
        large_type=document.large_type,
        audience=reader_audience,
    )


def available(document: Document, measure: Measure) -> bool:
    """A convocation needs a bilan to come."""
    if document.wording == "convocation":
        return measure.is_open and next_bilan(measure) is not None
    return True


def audit_export(document: Document, measure: Measure, fmt: str, reader_audience: str, user):
    what = f"Document « {document.title} » téléchargé ({fmt.upper()}) — mesure n° {measure.id}"
    if reader_audience == CCAS:
        record_event(
            AuditAction.EXPORT,
            "household",
            measure.household_id,
            f"{what} — {measure.household.reference}",
            user=user,
        )
    else:
        record_event(AuditAction.EXPORT, "measure", measure.id, f"{what} (bailleur)", user=user)


__all__ = ["DOCUMENTS", "available", "build", "documents_for"]
