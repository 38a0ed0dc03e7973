"""A household's data, whole (portal.household_data): the registry declares every text
column of the schema; the retention job erases the household from every one of them; the
right-of-access export hands its owning organisation everything it may read, in JSON and
in a PDF in French.

The canary household (« Zéphyrine Canardeau ») lives a full life first: case, notes, file,
meeting, decision, actions, candidacy, measure, minutes, e-mails. Then the canary is
written into every text column the registry declares for it, driven by the registry
itself: a column added to the registry later is covered without touching this file."""

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.actions.services import add_action_note, close_action, create_action, record_decision
from portal.candidacies.services import change_candidacy_status, create_candidacy
from portal.cases.services import add_note, change_status, share_case
from portal.extensions import db
from portal.household_data.registry import (
    EXEMPT,
    PARTS,
    PLACEHOLDER,
    Erasure,
    household_text_columns,
    is_coded,
)
from portal.measures.services import open_measure, record_bilan, record_rent
from portal.measures.timeline import add_months
from portal.meetings.services import INVITATION_SUBJECT, send_invitations
from portal.minutes.services import (
    canonical_content,
    content_hash,
    minutes_of,
    save_minutes,
    send_minutes,
)
from portal.minutes.services import change_status as move_minutes
from portal.models import (
    AccessLevel,
    ActionStatus,
    AgendaItem,
    AgendaProposal,
    Attendance,
    AuditAction,
    Bilan,
    BilanKind,
    BilanOutcome,
    Candidacy,
    CandidacyStatus,
    Case,
    CaseEvent,
    CaseNote,
    CaseStatus,
    Commune,
    DecisionKind,
    Household,
    HouseholdPerson,
    InvitationResponse,
    ItemOpinion,
    Measure,
    MeasureEndReason,
    MeasureStatus,
    Meeting,
    MeetingInvitee,
    MeetingKind,
    Minutes,
    MinutesRevision,
    MinutesStatus,
    OrganisationKind,
    OutgoingEmail,
    PersonRole,
    Programme,
    ProposalOrigin,
    ProposalStatus,
    RentRecord,
    RentStatus,
    Typology,
    Unit,
    household_email,
    now_utc,
)
from portal.models.base import str_enum
from tests.case_helpers import CANARY_LAST, canary_traces, open_case
from tests.conftest import CANARY_NAME, sign_in
from tests.support import audit_events, database_rows, tagged_pdf_text

TODAY = date.today()
# Two days ahead: every case, measure and candidacy of the canary ended before, whatever
# the machine's time zone.
AS_OF = (TODAY + timedelta(days=2)).isoformat()

OTHER_PARAGRAPH = "Ménage Lemarchand : relogé à Trégunc en mars, le suivi s'arrête."
OTHER_ITEM_NOTES = "M. Lemarchand accepte le T2 de Trégunc."
OTHER_OPINION = "La Mission Locale suivra M. Lemarchand."
OWN_INTERNAL_NOTE = f"Interne CCAS : dette de loyer de Mme {CANARY_LAST} à vérifier."
PARTNER_NOTE = "Mission Locale : atelier emploi proposé au ménage."
PARTNER_INTERNAL_NOTE = "Réservé à la Mission Locale : entretien individuel prévu en avril."


# Which columns hold text -------------------------------------------------------------------


def is_text_column(column: sa.Column) -> bool:
    """A String (Text and Enum included), or a custom type stored as one."""
    kind = column.type
    if isinstance(kind, sa.TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, sa.String)


def registry_gaps(tables, declared: set, exempt: dict) -> tuple[list, list]:
    """(undeclared, stale): the text columns neither declared, exempted nor coded, and the
    registry's entries that name no free-text column of the schema."""
    columns = {(table.name, column.name): column for table in tables for column in table.columns}
    undeclared = sorted(
        key
        for key, column in columns.items()
        if is_text_column(column)
        and not is_coded(column)
        and key not in declared
        and key not in exempt
    )
    stale = sorted(
        key
        for key in declared | set(exempt)
        if key not in columns or not is_text_column(columns[key]) or is_coded(columns[key])
    )
    return undeclared, stale


def test_every_text_column_is_declared_or_exempted_with_a_reason():
    declared = household_text_columns()

    undeclared, stale = registry_gaps(db.metadata.sorted_tables, declared, EXEMPT)

    assert undeclared == [], (
        "Text columns (table, column) neither declared in registry.PARTS (erased and "
        f"exported with the household) nor exempted in registry.EXEMPT: {undeclared}"
    )
    assert stale == [], f"Registry entries (table, column) naming no text column: {stale}"
    assert sorted(declared & set(EXEMPT)) == [], "declared and exempted at once"
    assert [key for key, reason in EXEMPT.items() if not reason.strip()] == []


def test_the_completeness_check_names_what_it_finds():
    """The check above fails on a new text column and on an entry that outlived its column."""
    scratch = sa.Table(
        "household_scratch",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("nickname", sa.String(40)),
        sa.Column("remarks", sa.Text),
        sa.Column("role", str_enum(PersonRole)),  # coded: no free text
    )
    tables, declared = db.metadata.sorted_tables, household_text_columns()
    undeclared_now, stale_now = registry_gaps(tables, declared, EXEMPT)
    added = {("complex_case", "summary")}
    exempt = {**EXEMPT, ("household", "nickname"): "gone", ("household", "adults"): "a number"}

    undeclared, stale = registry_gaps([*tables, scratch], declared | added, exempt)

    assert set(undeclared) - set(undeclared_now) == {
        ("household_scratch", "nickname"),
        ("household_scratch", "remarks"),
    }
    assert set(stale) - set(stale_now) == {
        ("complex_case", "summary"),
        ("household", "adults"),
        ("household", "nickname"),
    }


# A full life -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """One declared text column of one row of the household, under its export section."""

    section: str
    table: str
    row_id: object
    column: str


@dataclass
class Life:
    """The canary household after its full life, with what the tests look for."""

    household: Household
    case: Case
    other: Household  # mentioned in the same minutes, still followed
    meeting: Meeting
    minutes: Minutes
    measure: Measure
    stored_name: str  # the case's attachment, on disk
    partner_note: CaseNote  # the Mission Locale's internal note on the case
    partner_event: CaseEvent  # ... and its timeline line
    places: dict  # Place -> the first paragraph there that names the canary


def write_canary(household_id: int, tags) -> int:
    """Into every text column the registry declares, of every row it selects for the
    household, a paragraph naming the canary, unless the value names it already (in place
    of the value when both would not fit the column). Returns how many were written."""
    written = 0
    for part in PARTS:
        columns = part.model.__table__.c
        for row in db.session.scalars(part.rows(household_id)).unique().all():
            for text in part.text:
                value = getattr(row, text.name) or ""
                # A structured copy (approved minutes as JSON) is made from the live text.
                if text.redact is not None or CANARY_LAST in value:
                    continue
                tag = f"{CANARY_NAME} [{next(tags)}]"
                added = f"{value}\n\n{tag}" if value else tag
                length = columns[text.name].type.length
                setattr(row, text.name, added if length is None or len(added) <= length else tag)
                written += 1
    db.session.commit()
    return written


def json_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


def canary_places(household_id: int) -> dict[Place, str]:
    """Each declared text column of each row the registry selects for the household, with
    the first paragraph there that names the canary; every one must hold it."""
    places, bare = {}, []
    for part in PARTS:
        table = part.model.__table__.name
        for row in db.session.scalars(part.rows(household_id)).unique().all():
            row_id = sa.inspect(row).identity[0]
            for text in part.text:
                value = getattr(row, text.name) or ""
                strings = json_strings(json.loads(value)) if text.redact and value else [value]
                needle = next(
                    (
                        paragraph.strip()
                        for string in strings
                        for paragraph in re.split(r"\n[ \t]*\n", string)
                        if CANARY_LAST in paragraph
                    ),
                    None,
                )
                place = Place(part.key, table, row_id, text.name)
                if needle is None:
                    bare.append(place)
                else:
                    places[place] = needle
    assert bare == [], f"declared text columns where the canary was not written: {bare}"
    return places


def build_life(world, case_world, make_org, make_household, app) -> Life:
    household, case = case_world.household, case_world.case
    coordinator, worker, partner = world.coordinator, world.ccas_worker, world.partner_member
    household.identity.address = "CHRS Le Phare, Concarneau"

    # The discussion: notes of both kinds, by the owner and by a partner with full access.
    add_note(case, worker, f"Mme {CANARY_LAST} a rencontré le bailleur.", internal=False)
    add_note(case, worker, OWN_INTERNAL_NOTE, internal=True)
    add_note(case, partner, PARTNER_NOTE, internal=False)
    partner_note = add_note(case, partner, PARTNER_INTERNAL_NOTE, internal=True)
    with app.test_request_context():  # its e-mail's link is built from the request
        share_case(case, world.siao, AccessLevel.SITUATION, "Candidature IML", worker)
    change_status(case, "put_on_agenda", worker)

    # Another household, on the same agenda and in the same minutes, still followed.
    other = make_household(world.ccas, worker, first="Gaston", last="Lemarchand")
    other.identity.phone, other.identity.email = "02 98 00 00 00", "gaston@exemple.fr"
    other_case = open_case(other, worker, world.committee, CaseStatus.ON_AGENDA)

    # The meeting: the case on its agenda, an excused partner's opinions, a proposal.
    excused = MeetingInvitee(
        user=partner,
        organisation=world.mission_locale,
        response=InvitationResponse.EXCUSED,
        opinion="Avis général de la Mission Locale : rien à signaler.",
    )
    meeting = Meeting(
        committee=world.committee,
        kind=MeetingKind.COMITE_TECHNIQUE,
        # Named after the situation it was called for: the title is shared text too.
        title=f"Comité technique de mars — point sur Mme {CANARY_LAST}",
        starts_at=now_utc() - timedelta(days=10),
        location="CCAS de Concarneau, salle 2",
        organiser=coordinator,
        organiser_organisation=world.ccas,
        invitees=[
            MeetingInvitee(
                user=coordinator, organisation=world.ccas, attendance=Attendance.PRESENT
            ),
            excused,
        ],
        agenda_items=[
            AgendaItem(position=1, title="Relogement bloqué", case=case, presenter=world.ccas),
            AgendaItem(position=2, title="Sortie de CHRS", case=other_case),
            AgendaItem(position=3, title="Questions diverses"),
        ],
    )
    db.session.add(meeting)
    db.session.flush()
    own_item, other_item, misc_item = meeting.agenda_items
    db.session.add_all(
        [
            ItemOpinion(
                invitee=excused,
                agenda_item=own_item,
                text=f"La Mission Locale soutient Mme {CANARY_LAST}.",
            ),
            ItemOpinion(invitee=excused, agenda_item=other_item, text=OTHER_OPINION),
            AgendaProposal(
                meeting=meeting,
                case=case,
                origin=ProposalOrigin.OWNER,
                status=ProposalStatus.ACCEPTED,
                proposed_by=worker,
                answered_by=coordinator,
                answered_at=now_utc(),
            ),
        ]
    )

    # Decisions with partners' positions, and follow-up actions with notes (e-mailed).
    partners = [world.ccas, world.mission_locale]
    decision = record_decision(
        meeting,
        coordinator,
        kind=DecisionKind.ORIENTATION_IML,
        text=f"Orientation de Mme {CANARY_LAST} vers l'intermédiation locative.",
        organisations=partners,
        positions=[(world.mission_locale, f"Attendre l'été pour Mme {CANARY_LAST}.")],
        agenda_item=own_item,
    )
    other_decision = record_decision(
        meeting,
        coordinator,
        kind=DecisionKind.HOUSING_PROPOSAL,
        text=f"Proposition du T2 de Trégunc.\n\nLe T2 de Mme {CANARY_LAST} se libère en mai.",
        organisations=partners,
        positions=[(world.mission_locale, "Accord de la Mission Locale.")],
        agenda_item=other_item,
    )
    action = create_action(
        meeting,
        coordinator,
        description=f"Accompagner Mme {CANARY_LAST} à la visite du logement.",
        organisation=world.mission_locale,
        user=partner,
        due_on=TODAY + timedelta(days=20),
        decision=decision,
    )
    add_action_note(action, partner, f"Visite fixée avec Mme {CANARY_LAST}.")
    close_action(action, partner, ActionStatus.DONE, "Visite faite.")
    other_action = create_action(
        meeting,
        coordinator,
        description=f"Réserver le T2 de Trégunc ; état des lieux chez Mme {CANARY_LAST}.",
        organisation=world.ccas,
        due_on=TODAY + timedelta(days=20),
        decision=other_decision,
        notify=False,
    )
    add_action_note(other_action, worker, f"Mme {CANARY_LAST} rendra les clés le 30 avril.")

    # The candidacy, validated by the SIAO in the meeting (e-mailed), then the measure.
    landlord = make_org(OrganisationKind.BAILLEUR_SOCIAL, "Finistère Habitat")
    territory = world.ccas.territory
    commune = Commune(territory=territory, name="Concarneau")
    programme = Programme(territory=territory, name="IML sortie de structures", capacity=2)
    unit = Unit(
        commune=commune,
        address="3 rue des Écoles",
        typology=Typology.T2,
        surface=Decimal("45"),
        rent=Decimal("420.00"),
        charges=Decimal("35.00"),
        social_landlord=landlord,
    )
    db.session.add_all([commune, programme, unit])
    db.session.flush()
    candidacy = create_candidacy(
        household,
        worker,
        {
            "programme_id": programme.id,
            "case_id": case.id,
            "siao_number": "29-2026-0042",
            "requested_typology": Typology.T2,
            "commune_ids": [commune.id],
            "budget_worked": True,
            "rent_capacity": Decimal("180.50"),
            "support_in_place": f"Accompagnement budgétaire de Mme {CANARY_LAST}.",
            "readiness_notes": "Prête à sortir du CHRS.",
        },
    )
    change_candidacy_status(candidacy, "submit", worker, comment="Dossier complet.")
    change_candidacy_status(
        candidacy, "validate", world.siao_officer, comment="Validée en commission.", meeting=meeting
    )
    start = add_months(TODAY, -13)
    measure = open_measure(
        candidacy,
        unit,
        worker,
        {
            "start_date": start,
            "rent": Decimal("420"),
            "charges": Decimal("35"),
            "household_share": Decimal("150"),
            "referent": worker,
        },
    )
    bilans = {bilan.kind: bilan for bilan in measure.bilans}
    six = bilans[BilanKind.SIX_MONTHS]
    record_bilan(
        six,
        worker,
        {
            "held_on": six.due_date,
            "outcome": BilanOutcome.POURSUITE,
            "rent_paid_regularly": True,
            "rent_regularity_justification": "Loyers réglés en espèces au CCAS, à saisir.",
            "household_present": True,
            "summary": "Loyers réguliers.",
        },
    )
    six.meeting = meeting
    record_bilan(bilans[BilanKind.TEN_MONTHS], worker, {"held_on": add_months(start, 10)})
    record_bilan(
        bilans[BilanKind.TWELVE_MONTHS],
        worker,
        {
            "held_on": add_months(start, 12),
            "outcome": BilanOutcome.FIN_DE_MESURE,
            "end_reason": MeasureEndReason.DEPARTURE,
            "summary": f"Mme {CANARY_LAST} rejoint sa famille à Brest.",
        },
    )
    for month, status in enumerate((RentStatus.PAID, RentStatus.LATE, RentStatus.UNPAID)):
        record_rent(measure, worker, {"month": add_months(start, month), "status": status})

    # The minutes name both households, each in a paragraph of its own.
    save_minutes(
        meeting,
        0,
        f"Tour de table des partenaires.\n\n{OTHER_PARAGRAPH}\n\n"
        f"Mme {CANARY_LAST} quitte le CHRS pour un logement IML.",
        {
            own_item.id: f"Situation de Mme {CANARY_LAST} présentée par le CCAS.",
            other_item.id: OTHER_ITEM_NOTES,
            misc_item.id: "",
        },
        coordinator,
    )
    change_status(case, "close", worker)
    db.session.commit()

    tags = count(1)
    assert write_canary(household.id, tags) > 50
    # Approved after the canary was written (their hash covers it), re-opened once (a
    # frozen copy is kept), approved again.
    minutes = minutes_of(meeting)
    for step, reason in (
        ("submit", ""),
        ("approve", ""),
        ("reopen", f"Passage sur Mme {CANARY_LAST} à corriger."),
        ("submit", ""),
        ("approve", ""),
    ):
        move_minutes(minutes, step, coordinator, based_on_version=minutes.version, reason=reason)
        db.session.commit()
    write_canary(household.id, tags)  # the rows written since, if any

    partner_event = db.session.scalars(
        sa.select(CaseEvent).where(
            CaseEvent.case_id == case.id,
            CaseEvent.internal,
            CaseEvent.organisation_id == world.mission_locale.id,
        )
    ).one()
    return Life(
        household=household,
        case=case,
        other=other,
        meeting=meeting,
        minutes=minutes,
        measure=measure,
        stored_name=case_world.attachment.stored_name,
        partner_note=partner_note,
        partner_event=partner_event,
        places=canary_places(household.id),
    )


@pytest.fixture
def life(app, world, case_world, make_org, make_household) -> Life:
    return build_life(world, case_world, make_org, make_household, app)


def test_the_canary_reaches_every_declared_column(life):
    """The life above has a row for each: a column added to the registry without a row
    here fails, and the life must grow with it."""
    reached = {(place.table, place.column) for place in life.places}

    assert sorted(household_text_columns() - reached) == []


# Erasure -----------------------------------------------------------------------------------


def run_retention(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["retention", "run", *args])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def canary_leaks() -> list[tuple[str, str, str]]:
    """(table, column, piece of the canary identity) for every text or binary value of
    every table that still holds one."""
    found = set()
    for table in db.metadata.sorted_tables:
        columns = [
            c for c in table.columns if is_text_column(c) or isinstance(c.type, sa.LargeBinary)
        ]
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)):
            for column, value in zip(columns, row, strict=True):
                if isinstance(value, bytes):  # an e-mail's calendar file: unfold its lines
                    value = value.decode("utf-8", "replace").replace("\r\n ", "")
                for marker in canary_traces(value or ""):
                    found.add((table.name, column.name, marker))
    return sorted(found)


KEPT_AS_THEY_ARE_NOT = {"updated", "version", "anonymised_at"}


def kept_values(household_id: int) -> dict[tuple, dict]:
    """What erasure must leave as it is: in every row of every part it does not delete, each
    column that holds no free text (counts, dates, amounts, statuses, coded reasons)."""
    kept = {}
    for part in PARTS:
        if part.erasure is Erasure.DELETE:
            continue
        columns = [
            column
            for column in part.model.__table__.columns
            if (not is_text_column(column) or is_coded(column))
            and column.name not in KEPT_AS_THEY_ARE_NOT
            and column.name not in part.coarsen
        ]
        for row in db.session.scalars(part.rows(household_id)).unique().all():
            key = (part.model, sa.inspect(row).identity)
            kept[key] = {column.key: getattr(row, column.key) for column in columns}
    return kept


def now_kept(before: dict) -> dict:
    after = {}
    for model, identity in before:
        row = db.session.get(model, identity)
        after[(model, identity)] = (
            None if row is None else {name: getattr(row, name) for name in before[model, identity]}
        )
    return after


def deleted_rows(household_id: int) -> list[tuple]:
    return [
        (part.model, sa.inspect(row).identity)
        for part in PARTS
        if part.erasure is Erasure.DELETE
        for row in db.session.scalars(part.rows(household_id)).unique().all()
    ]


def linked_emails(household_id: int) -> list[str]:
    return sorted(
        db.session.scalars(
            sa.select(OutgoingEmail.template)
            .join(household_email, household_email.c.email_id == OutgoingEmail.id)
            .where(household_email.c.household_id == household_id)
        )
    )


def paragraphs(text: str) -> list[str]:
    return re.split(r"\n[ \t]*\n", text)


def test_retention_erases_the_household_from_every_table_and_keeps_the_figures(app, life):
    household = life.household
    upload = Path(app.config["UPLOAD_FOLDER"], life.stored_name)
    assert upload.is_file()
    assert {table for table, _column, _marker in canary_leaks()} >= {
        place.table for place in life.places
    }  # the scan sees the canary wherever it was written
    assert linked_emails(household.id) == [
        "action_assigned",
        "candidacy_decision",
        "candidacy_submitted",
        "case_shared",
    ]
    assert all(e.status == "pending" for e in db.session.scalars(sa.select(OutgoingEmail)))
    kept = kept_values(household.id)
    deleted = deleted_rows(household.id)
    assert {model for model, _identity in deleted} >= {CaseNote, OutgoingEmail}

    output = run_retention(app, "--months", "0", "--as-of", AS_OF)

    assert output.splitlines()[0] == (
        "1 dossier(s) anonymisé(s) (conservation : 0 mois après clôture)."
    )
    leaks = canary_leaks()
    assert leaks == [], f"the canary is still in (table, column, piece): {leaks}"
    assert not upload.exists()
    assert household.anonymised_at is not None
    assert [model.__name__ for model, identity in deleted if db.session.get(model, identity)] == []
    assert linked_emails(household.id) == []
    # Counts, dates, amounts, statuses and coded reasons stay, row for row.
    assert now_kept(kept) == kept
    measure = db.session.get(Measure, life.measure.id)
    assert (measure.status, measure.end_reason, measure.rent) == (
        MeasureStatus.ENDED,
        MeasureEndReason.DEPARTURE,
        Decimal("420.00"),
    )
    assert [(b.kind, b.outcome, b.held_on is not None) for b in measure.bilans] == [
        (BilanKind.SIX_MONTHS, BilanOutcome.POURSUITE, True),
        (BilanKind.TEN_MONTHS, None, True),
        (BilanKind.TWELVE_MONTHS, BilanOutcome.FIN_DE_MESURE, True),
    ]
    assert [(r.status, r.amount_due, r.amount_paid) for r in measure.rent_records] == [
        (RentStatus.PAID, Decimal("150.00"), Decimal("150.00")),
        (RentStatus.LATE, Decimal("150.00"), Decimal("150.00")),
        (RentStatus.UNPAID, Decimal("150.00"), Decimal("0.00")),
    ]
    candidacy = db.session.scalars(
        sa.select(Candidacy).where(Candidacy.household_id == household.id)
    ).one()
    assert (candidacy.status, candidacy.siao_number) == (CandidacyStatus.HOUSED, "")
    [person] = db.session.scalars(
        sa.select(HouseholdPerson).where(HouseholdPerson.household_id == household.id)
    )
    assert (person.first_name, person.last_name, person.birth_date) == ("", "", date(1990, 7, 1))
    assert db.session.scalar(sa.select(sa.func.count(Bilan.id))) == 3
    assert db.session.scalar(sa.select(sa.func.count(RentRecord.id))) == 3

    # The other household's passages survive, word for word; so does the household.
    minutes = db.session.get(Minutes, life.minutes.id)
    assert paragraphs(minutes.general_notes) == [
        "Tour de table des partenaires.",
        OTHER_PARAGRAPH,
        PLACEHOLDER,
    ]
    other_item = next(i for i in life.meeting.agenda_items if i.case_id not in (None, life.case.id))
    assert paragraphs(other_item.notes) == [OTHER_ITEM_NOTES, PLACEHOLDER]
    assert paragraphs(other_item.opinions[0].text) == [OTHER_OPINION, PLACEHOLDER]
    assert life.other.anonymised_at is None
    assert [p.last_name for p in life.other.persons] == ["Lemarchand"]
    assert life.other.identity.phone == "02 98 00 00 00"

    # The approved minutes and their frozen copy hash to their new text, and say why.
    assert minutes.status == MinutesStatus.APPROVED
    assert minutes.content_hash == content_hash(canonical_content(minutes))
    [revision] = db.session.scalars(
        sa.select(MinutesRevision).where(MinutesRevision.minutes_id == minutes.id)
    )
    assert revision.content_hash == content_hash(json.loads(revision.content))
    assert json.loads(revision.content)["general_notes"] == minutes.general_notes
    [rehashed] = [
        event
        for event in audit_events(AuditAction.CHANGE, "minutes")
        if event.object_id == minutes.id and "empreinte" in event.summary
    ]
    assert "remplacés par « [anonymisé] »" in rehashed.summary
    assert f"passages sur le ménage {household.reference}" in rehashed.summary
    assert "empreinte d'approbation recalculée" in rehashed.summary
    assert "1 version(s) antérieure(s) ré-empreinte(s)" in rehashed.summary
    [erased] = audit_events(AuditAction.DELETE, "household")
    assert erased.object_id == household.id

    # Done once: the next run finds nothing to do.
    assert run_retention(app, "--months", "0", "--as-of", AS_OF).startswith("0 dossier(s)")


def unlinked_emails_naming_the_canary(household_id: int) -> list[tuple[str, str]]:
    linked = set(
        db.session.scalars(
            sa.select(household_email.c.email_id).where(
                household_email.c.household_id == household_id
            )
        )
    )
    return sorted(
        (email.template, email.recipient)
        for email in db.session.scalars(sa.select(OutgoingEmail))
        if email.id not in linked and canary_traces(email.subject + email.text_body)
    )


def test_emails_that_copy_the_meetings_title_go_with_the_household(app, world, life):
    """The title names the household (shared text, erased by passage): so must every copy,
    in the invitation of someone who may not see its case and in the minutes' e-mail."""
    outsider = MeetingInvitee(
        meeting=life.meeting, user=world.outsider, organisation=world.outsider_org
    )
    db.session.add(outsider)
    db.session.flush()
    send_invitations(life.meeting, [outsider], "meeting_invitation", INVITATION_SUBJECT)
    send_minutes(life.minutes, world.coordinator)
    db.session.commit()

    unlinked = unlinked_emails_naming_the_canary(life.household.id)
    assert unlinked == [], f"e-mails naming it, not linked to it (template, to): {unlinked}"
    run_retention(app, "--months", "0", "--as-of", AS_OF)
    assert [leak for leak in canary_leaks() if leak[0].startswith("outgoing_email")] == []


def test_a_dry_run_lists_the_household_and_changes_nothing(app, life):
    before = database_rows()

    output = run_retention(app, "--months", "0", "--as-of", AS_OF, "--dry-run")

    assert output.splitlines() == [
        "1 dossier(s) seraient anonymisé(s) (conservation : 0 mois après clôture) ; "
        "rien n'a été modifié.",
        f"- {life.household.reference}",
    ]
    assert database_rows() == before
    assert canary_places(life.household.id) == life.places
    assert Path(app.config["UPLOAD_FOLDER"], life.stored_name).is_file()


# Right of access ---------------------------------------------------------------------------

SECTIONS = {
    "points_a_l_ordre_du_jour": "Passages en réunion",
    "decisions": "Décisions",
    "positions": "Positions des partenaires",
    "actions_de_suivi": "Actions de suivi",
    "notes_des_actions": "Notes sur les actions de suivi",
    "candidatures": "Candidatures au SIAO",
    "historique_des_candidatures": "Historique des candidatures",
    "mesures": "Mesures d'intermédiation locative",
    "bilans": "Bilans des mesures",
    "loyers": "Paiement des loyers",
    "comptes_rendus": "Passages des comptes rendus",
    "avis_ecrits": "Avis écrits des partenaires excusés",
    "e_mails": "E-mails écrits à son sujet",
    "journal_des_acces": "Journal des accès",
}


def squeezed(text: str) -> str:
    """Without any white space: a PDF's text breaks lines where the page does."""
    return re.sub(r"\s+", "", text)


def partner_only(life: Life) -> set[Place]:
    """The Mission Locale's internal note and its timeline line."""
    return {
        place
        for place in life.places
        if (place.table, place.row_id)
        in {("case_note", life.partner_note.id), ("case_event", life.partner_event.id)}
    }


def test_the_export_holds_everything_the_owner_may_read(client, world, life):
    household = life.household
    sign_in(client, world.coordinator)

    response = client.get(f"/cases/households/{household.id}/export")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    data = json.loads(response.text)
    assert (data["schema_version"], data["reference"]) == (2, household.reference)
    sections = data["sections"]
    assert {key: sections[key]["title"] for key in SECTIONS} == SECTIONS
    assert [key for key in SECTIONS if not sections[key]["rows"]] == []
    # The canary is in every section, row and field where the registry holds it...
    hidden = partner_only(life)
    assert len(hidden) == 2
    missing = []
    for place, needle in life.places.items():
        if place in hidden:
            continue
        rows = [row for row in sections[place.section]["rows"] if row["id"] == place.row_id]
        if not rows or needle not in (rows[0].get(place.column) or ""):
            missing.append(place)
    assert missing == []
    # ... except the other organisation's internal note and its timeline line.
    for place in hidden:
        assert life.places[place] not in response.text
        assert place.row_id not in [row["id"] for row in sections[place.section]["rows"]]
    assert PARTNER_INTERNAL_NOTE not in response.text
    notes = {row["body"]: row["internal"] for row in sections["notes"]["rows"]}
    assert notes[OWN_INTERNAL_NOTE] is True
    assert any(body.startswith(PARTNER_NOTE) and not internal for body, internal in notes.items())
    [measure] = sections["mesures"]["rows"]
    assert (measure["status"], measure["rent"], measure["end_reason"]) == (
        "Fin de mesure",
        "420.00",
        "Départ du ménage",
    )
    assert [row["amount_paid"] for row in sections["loyers"]["rows"]] == [
        "150.00",
        "150.00",
        "0.00",
    ]
    assert {row["status"] for row in sections["e_mails"]["rows"]} == {"pending"}
    [event] = audit_events(AuditAction.EXPORT, "household")
    assert (event.object_id, event.user_id, event.organisation_id) == (
        household.id,
        world.coordinator.id,
        world.ccas.id,
    )
    assert "JSON" in event.summary


def test_the_pdf_export_is_in_french_and_keeps_other_organisations_notes_out(client, world, life):
    household = life.household
    sign_in(client, world.coordinator)

    response = client.get(f"/cases/households/{household.id}/export.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="donnees-{household.reference}.pdf"'
    )
    text = squeezed(
        tagged_pdf_text(response.data, f"Données détenues sur le ménage {household.reference}")
    )
    titles = ["Le ménage", "Coordonnées", "Personnes du ménage", "Notes de la discussion"]
    assert [title for title in [*titles, *SECTIONS.values()] if squeezed(title) not in text] == []
    assert squeezed(CANARY_NAME) in text
    assert squeezed(OWN_INTERNAL_NOTE) in text
    assert squeezed(PARTNER_NOTE) in text
    assert squeezed(PARTNER_INTERNAL_NOTE) not in text
    assert [life.places[p] for p in partner_only(life) if squeezed(life.places[p]) in text] == []
    [event] = audit_events(AuditAction.EXPORT, "household")
    assert (event.object_id, event.user_id) == (household.id, world.coordinator.id)
    assert "PDF" in event.summary


def test_only_the_owners_admin_exports(client, world, case_world):
    household = case_world.household

    for person, status in (
        (world.ccas_worker, 403),  # a member of the owning organisation, not its admin
        (world.partner_admin, 404),  # an admin of a partner with full access to the case
    ):
        sign_in(client, person)
        for suffix in ("export", "export.pdf"):
            response = client.get(f"/cases/households/{household.id}/{suffix}")
            assert response.status_code == status, (person.full_name, suffix)

    assert audit_events(AuditAction.EXPORT) == []
