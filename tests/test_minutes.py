"""Minutes of a committee meeting, as organisers and partners use them: writing, the
draft → submitted → approved workflow, the frozen approved text and its hash, re-opening,
two people saving at once, and the PDF each reader may download."""

import hashlib
import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy.orm.exc import StaleDataError

from portal.extensions import db
from portal.minutes.demo import load_demo_minutes
from portal.minutes.forms import BAD_VERSION
from portal.minutes.services import (
    MinutesConflict,
    WorkflowError,
    content_hash,
    is_intact,
    minutes_of,
    save_minutes,
)
from portal.models import (
    AgendaItem,
    AuditAction,
    AuditEvent,
    CoOrganiser,
    Meeting,
    MeetingInvitee,
    MeetingKind,
    Minutes,
    MinutesRevision,
    MinutesStatus,
    User,
)
from tests.conftest import CANARY_NAME, sign_in
from tests.support import (
    audit_events,
    database_rows,
    flashed,
    form_errors,
    fresh_client,
    tagged_pdf_text,
)

CASE_NOTES = "Le bailleur propose un T2 à Rosporden en février."
GENERAL = "Tour de table des partenaires."


@dataclass
class MeetingWorld:
    meeting: Meeting
    info_item: AgendaItem  # not about a case
    case_item: AgendaItem  # about case_world.case
    siao_member: User  # committee member: the pseudonymised situation only
    stranger: User  # invited, but with no access to the case


@pytest.fixture
def mw(world, case_world, make_user) -> MeetingWorld:
    """A comité technique organised by the coordinator with two co-organisers (the Mission
    Locale's and the SIAO's admins), with partners invited: the Mission
    Locale (full access to the case), the CDAS (situation), a SIAO member (committee) and
    an association with no access to the case."""
    siao_member = make_user(world.siao, full_name="Samuel SIAO")
    meeting = Meeting(
        committee=world.committee,
        kind=MeetingKind.COMITE_TECHNIQUE,
        title="Comité technique de mars",
        starts_at=datetime(2026, 3, 12, 13, 30, tzinfo=UTC),
        location="CCAS de Concarneau, salle 2",
        organiser=world.coordinator,
        organiser_organisation=world.ccas,
        # Two partners' admins co-organise it (the SIAO's has no access to the case).
        co_organisers=[
            CoOrganiser(user=world.partner_admin, organisation=world.mission_locale),
            CoOrganiser(user=world.siao_officer, organisation=world.siao),
        ],
        invitees=[
            MeetingInvitee(user=world.ccas_worker, organisation=world.ccas),
            MeetingInvitee(user=world.partner_member, organisation=world.mission_locale),
            MeetingInvitee(user=siao_member, organisation=world.siao),
            MeetingInvitee(user=case_world.cdas_worker, organisation=case_world.cdas),
            MeetingInvitee(user=world.outsider, organisation=world.outsider_org),
        ],
        agenda_items=[
            AgendaItem(position=1, title="Calendrier du dispositif"),
            AgendaItem(position=2, title="Relogement bloqué", case=case_world.case),
        ],
    )
    db.session.add(meeting)
    db.session.commit()
    info_item, case_item = meeting.agenda_items
    return MeetingWorld(meeting, info_item, case_item, siao_member, world.outsider)


def url(mw: MeetingWorld, suffix: str = "") -> str:
    return f"/meetings/{mw.meeting.id}/minutes{suffix}"


def form_version(page: str) -> str:
    match = re.search(r'name="version" type="hidden" value="([^"]*)"', page) or re.search(
        r'type="hidden" name="version" value="([^"]*)"', page
    )
    assert match, "no version field on the page"
    return match.group(1)


def edit_data(mw: MeetingWorld, version, general=GENERAL, info="", case=CASE_NOTES) -> dict:
    return {
        "version": str(version),
        "general_notes": general,
        f"item_{mw.info_item.id}": info,
        f"item_{mw.case_item.id}": case,
    }


def write(mw, actor, **fields) -> Minutes:
    """Minutes written through the service (set-up for tests about something else)."""
    minutes = minutes_of(mw.meeting)
    save_minutes(
        mw.meeting,
        minutes.version if minutes else 0,
        fields.get("general", GENERAL),
        {mw.info_item.id: fields.get("info", ""), mw.case_item.id: fields.get("case", CASE_NOTES)},
        actor,
    )
    db.session.commit()
    return minutes_of(mw.meeting)


def move(client, mw, transition: str, version=None):
    """Post a transition; the response is the redirect (the message is on the next page)."""
    minutes = minutes_of(mw.meeting)
    version = minutes.version if version is None else version
    return client.post(url(mw, "/status"), data={"transition": transition, "version": str(version)})


def messages(client, response) -> list[str]:
    """The messages shown on the page a redirect leads to."""
    assert response.status_code == 302, response.status_code
    return flashed(client.get(response.location).text)


def approved(mw, world) -> Minutes:
    """Written and submitted by the coordinator, approved by a co-organiser (four eyes)."""
    write(mw, world.coordinator)
    client = fresh_client(current_app._get_current_object())
    sign_in(client, world.coordinator)
    assert move(client, mw, "submit").status_code == 302
    sign_in(client, world.partner_admin)
    assert move(client, mw, "approve").status_code == 302
    minutes = minutes_of(mw.meeting)
    assert minutes.status == MinutesStatus.APPROVED
    return minutes


def pdf_text(response) -> str:
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    return tagged_pdf_text(response.data, "Compte rendu")


# Writing and reading -------------------------------------------------------------------------


def test_organiser_writes_the_minutes_and_partners_read_them_once_submitted(client, world, mw):
    sign_in(client, world.coordinator)
    page = client.get(url(mw, "/edit")).text
    assert "Notes générales" in page and "Relogement bloqué" in page
    response = client.post(url(mw, "/edit"), data=edit_data(mw, 0, info="Prochain comité le 9."))
    assert response.status_code == 302
    minutes = minutes_of(mw.meeting)
    assert minutes.status == MinutesStatus.DRAFT
    assert minutes.general_notes == GENERAL
    assert mw.case_item.notes == CASE_NOTES and mw.info_item.notes == "Prochain comité le 9."
    assert minutes.updated_by == world.coordinator

    reader = fresh_client(current_app._get_current_object())
    sign_in(reader, world.partner_member)
    page = reader.get(url(mw)).text
    assert "en cours de rédaction" in page and GENERAL not in page
    assert reader.get(url(mw, ".pdf")).status_code == 404
    assert reader.get(url(mw, "/edit")).status_code == 403

    assert "Compte rendu : Soumis pour approbation." in messages(client, move(client, mw, "submit"))
    page = reader.get(url(mw)).text
    assert GENERAL in page and CASE_NOTES in page


def test_people_not_invited_do_not_learn_the_meeting_exists(client, world, mw):
    write(mw, world.coordinator)
    sign_in(client, world.landlord)
    assert client.get(url(mw)).status_code == 404
    assert client.get(url(mw, ".pdf")).status_code == 404


# Workflow --------------------------------------------------------------------------------------


def test_workflow_moves_draft_to_submitted_to_approved(client, world, mw):
    write(mw, world.coordinator)
    sign_in(client, world.coordinator)
    assert move(client, mw, "submit").status_code == 302
    assert minutes_of(mw.meeting).status == MinutesStatus.SUBMITTED
    assert move(client, mw, "back_to_draft").status_code == 302
    assert minutes_of(mw.meeting).status == MinutesStatus.DRAFT
    move(client, mw, "submit")
    # Four eyes: the last person to edit the text does not approve it alone.
    refused = messages(client, move(client, mw, "approve"))
    assert any("un autre que la dernière personne" in m for m in refused)
    assert minutes_of(mw.meeting).status == MinutesStatus.SUBMITTED
    sign_in(client, world.partner_admin)
    assert "Compte rendu : Approuvé." in messages(client, move(client, mw, "approve"))
    minutes = minutes_of(mw.meeting)
    assert minutes.status == MinutesStatus.APPROVED
    assert minutes.approved_by == world.partner_admin
    assert minutes.approved_at is not None
    changes = [e.summary for e in audit_events(AuditAction.CHANGE, "minutes")]
    assert any("Soumis pour approbation → Approuvé" in s for s in changes)


@pytest.mark.parametrize(
    ("status", "transition", "message"),
    [
        (MinutesStatus.DRAFT, "approve", "n'est pas possible pour un compte rendu « Brouillon »"),
        (MinutesStatus.DRAFT, "back_to_draft", "n'est pas possible"),
        (MinutesStatus.SUBMITTED, "submit", "n'est pas possible"),
        (MinutesStatus.APPROVED, "approve", "n'est pas possible"),
        (MinutesStatus.APPROVED, "submit", "n'est pas possible"),
        (MinutesStatus.DRAFT, "publish", "n'est pas possible"),
        (MinutesStatus.DRAFT, "", "n'est pas possible"),
    ],
)
def test_refused_transitions_change_nothing(client, world, mw, status, transition, message):
    minutes = write(mw, world.coordinator)
    minutes.status = status
    db.session.commit()
    sign_in(client, world.coordinator)
    before = database_rows()
    response = move(client, mw, transition)
    assert database_rows() == before
    shown = messages(client, response)
    assert any(message in m for m in shown), shown


def test_empty_minutes_cannot_be_submitted(client, world, mw):
    write(mw, world.coordinator, general="", case="")
    sign_in(client, world.coordinator)
    before = database_rows()
    response = move(client, mw, "submit")
    assert database_rows() == before
    shown = messages(client, response)
    assert "Le compte rendu est vide : rédigez-le avant de le soumettre." in shown


def test_approving_a_text_changed_since_it_was_read_is_refused(client, world, mw):
    minutes = write(mw, world.coordinator)
    sign_in(client, world.coordinator)
    move(client, mw, "submit")
    read_version = minutes_of(mw.meeting).version
    write(mw, world.partner_admin, general="Texte changé entre-temps.")
    before = database_rows()
    response = move(client, mw, "approve", version=read_version)
    assert database_rows() == before
    shown = messages(client, response)
    assert any("modifié depuis que vous l'avez ouvert" in m for m in shown), shown
    assert minutes.status == MinutesStatus.SUBMITTED


def test_invitees_who_do_not_organise_cannot_move_the_minutes(client, world, mw):
    write(mw, world.coordinator)
    sign_in(client, world.partner_member)
    before = database_rows()
    assert client.post(url(mw, "/status"), data={"transition": "submit"}).status_code == 403
    assert database_rows() == before


# Freeze and hash ---------------------------------------------------------------------------------


def test_approval_freezes_the_text_and_stores_its_hash(client, world, mw):
    minutes = approved(mw, world)
    canonical = {
        "general_notes": GENERAL,
        "items": [
            {"case_id": None, "id": mw.info_item.id, "notes": "", "title": mw.info_item.title},
            {
                "case_id": mw.case_item.case_id,
                "id": mw.case_item.id,
                "notes": CASE_NOTES,
                "title": mw.case_item.title,
            },
        ],
        "decisions": [],
        "actions": [],
    }
    data = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert minutes.content_hash == hashlib.sha256(data.encode()).hexdigest()
    assert is_intact(minutes)

    sign_in(client, world.coordinator)
    assert "son texte est figé" in messages(client, client.get(url(mw, "/edit")))[0]
    before = database_rows()
    response = client.post(url(mw, "/edit"), data=edit_data(mw, minutes.version, "Réécrit"))
    assert response.status_code == 409
    assert "Réécrit" in response.text  # what was typed is not lost
    assert database_rows() == before
    assert "le texte correspond à l'empreinte" in client.get(url(mw)).text

    # A change behind the application's back shows on the page.
    mw.case_item.notes = "Modifié en base"
    db.session.commit()
    assert not is_intact(minutes)
    assert "ne correspond plus à l'empreinte" in client.get(url(mw)).text


# Re-opening --------------------------------------------------------------------------------------


def test_reopening_asks_for_a_reason_keeps_the_approved_text_and_shows_the_changes(
    client, world, mw
):
    minutes = approved(mw, world)
    approved_hash, approved_at = minutes.content_hash, minutes.approved_at
    sign_in(client, world.coordinator)
    assert "Motif de la réouverture" in client.get(url(mw, "/reopen")).text

    before = database_rows()
    response = client.post(url(mw, "/reopen"), data={"version": minutes.version, "reason": ""})
    assert response.status_code == 400
    assert "Indiquez le motif de la réouverture." in form_errors(response.text)
    response = client.post(
        url(mw, "/reopen"), data={"version": minutes.version, "reason": "x" * 501}
    )
    assert response.status_code == 400
    assert "500 caractères au plus." in form_errors(response.text)
    assert database_rows() == before

    reason = "Erreur sur la date de disponibilité"
    response = client.post(url(mw, "/reopen"), data={"version": minutes.version, "reason": reason})
    assert response.status_code == 302
    assert minutes.status == MinutesStatus.DRAFT
    assert minutes.approved_by is None and minutes.content_hash is None
    revision = db.session.scalar(sa.select(MinutesRevision))
    assert revision.reason == reason and revision.reopened_by == world.coordinator
    assert revision.content_hash == approved_hash and revision.approved_at == approved_at
    assert json.loads(revision.content)["items"][1]["notes"] == CASE_NOTES
    assert any(
        reason in e.summary and "Approuvé → Brouillon" in e.summary
        for e in audit_events(AuditAction.CHANGE, "minutes")
    )

    changed = "Le bailleur propose un T2 à Rosporden en mars.\n<script>alert(1)</script>"
    response = client.post(url(mw, "/edit"), data=edit_data(mw, minutes.version, case=changed))
    assert response.status_code == 302
    page = client.get(url(mw)).text
    assert "Modifications depuis la version approuvée" in page and reason in page
    assert re.search(r"<del class=\"diff-line\">.*en février\.</del>", page)
    assert re.search(r"<ins class=\"diff-line\">.*en mars\.</ins>", page)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    move(client, mw, "submit")
    sign_in(client, world.partner_admin)
    move(client, mw, "approve")
    assert minutes.status == MinutesStatus.APPROVED
    assert minutes.content_hash not in (None, approved_hash) and is_intact(minutes)
    assert "Modifications apportées lors de la dernière réouverture" in client.get(url(mw)).text


def test_changes_hide_the_notes_of_a_case_the_reader_may_not_discuss(client, world, mw):
    minutes = approved(mw, world)
    sign_in(client, world.coordinator)
    client.post(url(mw, "/reopen"), data={"version": minutes.version, "reason": "Correction"})
    write(mw, world.coordinator, case="Nouvelles notes secrètes")
    move(client, mw, "submit")

    committee_member = fresh_client(current_app._get_current_object())
    sign_in(committee_member, mw.siao_member)
    page = committee_member.get(url(mw)).text
    assert "Modifications depuis la version approuvée" in page
    assert "secrètes" not in page and CASE_NOTES not in page


def test_only_approved_minutes_can_be_reopened(client, world, mw):
    write(mw, world.coordinator)
    sign_in(client, world.coordinator)
    before = database_rows()
    response = client.post(url(mw, "/reopen"), data={"version": "2", "reason": "Pourquoi pas"})
    assert database_rows() == before
    assert "Seul un compte rendu approuvé peut être rouvert." in messages(client, response)
    before = database_rows()  # reading the minutes is logged: a new reference point
    response = move(client, mw, "reopen")  # sent to the form that asks for a reason
    assert response.location.endswith("/minutes/reopen")
    assert database_rows() == before


# Two people saving at once -----------------------------------------------------------------------


def test_second_save_gets_a_conflict_screen_and_nothing_is_lost(app, world, mw, backend):
    write(mw, world.coordinator)
    first, second = fresh_client(app), fresh_client(app)
    sign_in(first, world.coordinator)
    sign_in(second, world.partner_admin)
    version_1 = form_version(first.get(url(mw, "/edit")).text)
    version_2 = form_version(second.get(url(mw, "/edit")).text)
    assert version_1 == version_2

    response = first.post(url(mw, "/edit"), data=edit_data(mw, version_1, "Texte de Claire"))
    assert response.status_code == 302
    mine = "Texte de Léa, tapé pendant que Claire enregistrait"
    response = second.post(
        url(mw, "/edit"), data=edit_data(mw, version_2, mine, case="Notes de Léa")
    )
    assert response.status_code == 409
    page = html.unescape(response.text)
    assert "Le compte rendu a été modifié pendant que vous écriviez" in page
    assert "par Claire Coord" in page
    assert re.search(r"<textarea[^>]*general_notes[^>]*>\s*" + re.escape(mine), page)
    assert "Texte de Claire" in page  # the saved version, beside the typed one
    assert "Notes de Léa" in page and CASE_NOTES in page

    db.session.rollback()
    minutes = minutes_of(mw.meeting)
    assert minutes.general_notes == "Texte de Claire"  # not overwritten
    assert mw.case_item.notes == CASE_NOTES

    merged = "Texte de Claire\n" + mine
    response = second.post(
        url(mw, "/edit"), data=edit_data(mw, form_version(response.text), merged)
    )
    assert response.status_code == 302
    db.session.rollback()
    assert minutes_of(mw.meeting).general_notes == merged
    assert minutes_of(mw.meeting).updated_by == world.partner_admin


def test_a_save_racing_another_inside_the_database_is_a_conflict(app, world, mw, backend):
    """The version is checked in the UPDATE itself: a save that passed the form check but
    lost the race to the database saves nothing."""
    minutes = write(mw, world.coordinator)
    loaded_version = minutes.version
    # Another request commits its save between this one's check and its write.
    db.session.execute(
        sa.update(Minutes.__table__)
        .where(Minutes.__table__.c.id == minutes.id)
        .values(version=loaded_version + 1, general_notes="Enregistré par l'autre")
    )
    with pytest.raises(MinutesConflict):
        save_minutes(mw.meeting, loaded_version, "Le mien", {}, world.partner_admin)
    db.session.rollback()


def test_two_first_saves_at_once_are_a_conflict(client, world, mw):
    write(mw, world.coordinator)
    sign_in(client, world.partner_admin)
    before = database_rows()
    response = client.post(url(mw, "/edit"), data=edit_data(mw, 0, "Aussi le premier"))
    assert response.status_code == 409
    assert "Aussi le premier" in response.text
    assert database_rows() == before


# What each reader sees -------------------------------------------------------------------------


def test_the_pdf_holds_only_what_its_reader_may_see(world, case_world, mw):
    write(mw, world.coordinator)
    reference = case_world.household.reference
    texts = {}
    for name, user in (
        ("full", world.partner_member),
        ("situation", case_world.cdas_worker),
        ("committee", mw.siao_member),
        ("none", mw.stranger),
    ):
        minutes_of(mw.meeting).status = MinutesStatus.SUBMITTED
        db.session.commit()
        client = fresh_client(current_app._get_current_object())
        sign_in(client, user)
        response = client.get(url(mw, ".pdf"))
        disposition = response.headers["Content-Disposition"]
        assert disposition == 'attachment; filename="compte-rendu-comite-technique-2026-03-12.pdf"'
        texts[name] = " ".join(pdf_text(response).split())
        assert "Compte rendu — Comité technique de mars" in texts[name]
        assert GENERAL in texts[name]

    assert CANARY_NAME in texts["full"] and CASE_NOTES in texts["full"]
    assert reference in texts["full"]
    assert CASE_NOTES in texts["situation"] and CANARY_NAME not in texts["situation"]
    assert reference in texts["committee"] and "Femme seule" in texts["committee"]
    assert CANARY_NAME not in texts["committee"] and CASE_NOTES not in texts["committee"]
    assert "situation confidentielle" in texts["none"]
    for secret in (reference, CANARY_NAME, CASE_NOTES, "Relogement bloqué"):
        assert secret not in texts["none"]
    assert texts["committee"] != texts["full"]

    exports = audit_events(AuditAction.EXPORT, "minutes")
    assert [e.user for e in exports] == [
        world.partner_member,
        case_world.cdas_worker,
        mw.siao_member,
        mw.stranger,
    ]
    household_exports = audit_events(AuditAction.EXPORT, "household")
    assert mw.stranger not in [e.user for e in household_exports]


def test_the_minutes_page_follows_the_same_rules(world, case_world, mw):
    write(mw, world.coordinator)
    minutes_of(mw.meeting).status = MinutesStatus.SUBMITTED
    db.session.commit()
    reference = case_world.household.reference
    pages = {}
    for name, user in (
        ("full", world.partner_member),
        ("committee", mw.siao_member),
        ("none", mw.stranger),
    ):
        client = fresh_client(current_app._get_current_object())
        sign_in(client, user)
        pages[name] = html.unescape(client.get(url(mw)).text)
    assert CANARY_NAME in pages["full"] and CASE_NOTES in pages["full"]
    assert reference in pages["committee"] and CASE_NOTES not in pages["committee"]
    assert CANARY_NAME not in pages["committee"]
    assert "situation confidentielle" in pages["none"] and reference not in pages["none"]
    reads = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == AuditAction.VIEW, AuditEvent.object_type == "household"
        )
    ).all()
    assert {e.user for e in reads} >= {world.partner_member, mw.siao_member}
    assert mw.stranger not in {e.user for e in reads}


def test_an_organiser_without_access_to_a_case_minutes_it_without_reading_its_notes(
    client, world, mw
):
    """The SIAO's admin co-organises the meeting; the case is not shared with the SIAO. They
    never read the item's notes, cannot replace them, and what they write is added to them,
    for the readers of the case's discussion."""
    write(mw, world.coordinator)
    sign_in(client, world.siao_officer)
    page = html.unescape(client.get(url(mw, "/edit")).text)
    assert CASE_NOTES not in page and f'name="item_{mw.case_item.id}"' not in page
    assert f'name="add_{mw.case_item.id}"' in page
    assert "vous ne lisez pas ses notes" in page
    version = minutes_of(mw.meeting).version
    data = edit_data(mw, version, "Notes du SIAO", case="Tentative d'écrasement")
    data[f"add_{mw.case_item.id}"] = "Le SIAO confirme la demande en cours."
    assert client.post(url(mw, "/edit"), data=data).status_code == 302
    db.session.rollback()
    assert minutes_of(mw.meeting).general_notes == "Notes du SIAO"
    assert mw.case_item.notes == f"{CASE_NOTES}\n\nLe SIAO confirme la demande en cours."
    assert "Tentative d'écrasement" not in mw.case_item.notes
    with pytest.raises(WorkflowError, match="réservées à ses partenaires"):
        save_minutes(
            mw.meeting,
            minutes_of(mw.meeting).version,
            "",
            {mw.case_item.id: "x"},
            world.siao_officer,
        )
    db.session.rollback()
    # Read back by the co-organiser: the addition is not shown to them either.
    minutes_of(mw.meeting).status = MinutesStatus.SUBMITTED
    db.session.commit()
    assert "confirme la demande" not in client.get(url(mw)).text


# Bad input ----------------------------------------------------------------------------------------


def test_oversized_notes_are_refused_and_kept_in_the_form(client, world, mw):
    write(mw, world.coordinator)
    sign_in(client, world.coordinator)
    before = database_rows()
    version = minutes_of(mw.meeting).version
    long_notes = "é" * 20_001
    response = client.post(url(mw, "/edit"), data=edit_data(mw, version, long_notes))
    assert response.status_code == 400
    assert "20000 caractères au plus." in form_errors(response.text)
    assert long_notes in response.text
    response = client.post(
        url(mw, "/edit"), data=edit_data(mw, version, case="n" * 10_001, info="gardé")
    )
    assert response.status_code == 400
    assert "10000 caractères au plus." in form_errors(response.text)
    assert "gardé" in response.text
    assert database_rows() == before


@pytest.mark.parametrize("version", ["", "abc", "-1", "1.5", "9" * 30, "٣"])
def test_an_unreadable_version_is_refused_and_the_text_kept(client, world, mw, version):
    write(mw, world.coordinator)
    sign_in(client, world.coordinator)
    before = database_rows()
    response = client.post(url(mw, "/edit"), data=edit_data(mw, version, "Mon texte tapé"))
    assert response.status_code == 400
    assert BAD_VERSION in html.unescape(response.text)
    assert "Mon texte tapé" in response.text
    assert database_rows() == before


def test_an_unknown_meeting_is_not_found(client, world, mw):
    sign_in(client, world.coordinator)
    for suffix in ("", "/edit", ".pdf", "/reopen"):
        assert client.get(f"/meetings/999999/minutes{suffix}").status_code == 404


# Demo data ----------------------------------------------------------------------------------------


def test_demo_minutes_are_approved_with_one_reopening(world, mw, make_committee):
    load_demo_minutes({})  # before the meetings' demo data exists: nothing to do
    second = Meeting(
        committee=world.committee,
        kind=MeetingKind.COMITE_TECHNIQUE,
        title="Comité technique d'avril",
        starts_at=datetime(2026, 4, 9, 13, 30, tzinfo=UTC),
        organiser=world.coordinator,
        agenda_items=[AgendaItem(position=1, title="Point logement", case=mw.case_item.case)],
    )
    db.session.add(second)
    db.session.flush()
    load_demo_minutes(
        {
            "meetings": {"ct_past_1": mw.meeting, "ct_past_2": second},
            "users": {"coordination@ccas-concarneau.demo": world.coordinator},
        }
    )
    db.session.commit()
    for meeting in (mw.meeting, second):
        minutes = minutes_of(meeting)
        assert minutes.status == MinutesStatus.APPROVED and is_intact(minutes)
        assert minutes.approved_at > meeting.starts_at
    revisions = db.session.scalars(sa.select(MinutesRevision)).all()
    assert [r.minutes_id for r in revisions] == [minutes_of(second).id]
    assert content_hash(json.loads(revisions[0].content)) == revisions[0].content_hash
    assert "Rectificatif" in second.agenda_items[0].notes


def test_two_first_saves_racing_in_the_database_are_a_conflict(world, mw, monkeypatch):
    """Both saw no minutes yet; the unique meeting id lets only one create them."""
    write(mw, world.coordinator)
    monkeypatch.setattr("portal.minutes.services.minutes_of", lambda meeting: None)
    with pytest.raises(MinutesConflict):
        save_minutes(mw.meeting, 0, "Moi aussi", {}, world.partner_admin)
    db.session.rollback()
    monkeypatch.undo()
    assert minutes_of(mw.meeting).general_notes == GENERAL


def test_the_meeting_page_links_to_the_minutes(client, world, mw):
    write(mw, world.coordinator)
    with current_app.test_request_context():
        minutes = minutes_of(mw.meeting)
        partial = render_template(
            "minutes/_meeting_links.html", meeting=mw.meeting, minutes=minutes, can_manage=False
        )
        assert "Le compte rendu sera disponible ici" in partial
        minutes.status = MinutesStatus.APPROVED
        partial = render_template(
            "minutes/_meeting_links.html", meeting=mw.meeting, minutes=minutes, can_manage=False
        )
        assert "Approuvé" in partial and f"/meetings/{mw.meeting.id}/minutes.pdf" in partial
    db.session.rollback()


@pytest.mark.fresh_app
def test_two_sessions_saving_at_once_on_postgresql(app, world, mw, backend):
    """Two requests, each with its own database session, read the same version; the one
    that writes second is refused by the UPDATE's version check and changes nothing."""
    if backend != "postgresql":
        pytest.skip("two real connections need a database server")
    write(mw, world.coordinator)
    meeting_id, fast_id, slow_id = mw.meeting.id, world.coordinator.id, world.partner_admin.id
    db.session.commit()
    with app.app_context():  # the slower request: it has read the minutes
        slow_meeting = db.session.get(Meeting, meeting_id)
        slow_minutes = minutes_of(slow_meeting)  # held, as the edit view holds it
        slow_version = slow_minutes.version
        with app.app_context():  # the faster one saves and commits meanwhile
            fast_meeting = db.session.get(Meeting, meeting_id)
            fast = db.session.get(User, fast_id)
            save_minutes(fast_meeting, slow_version, "Le plus rapide", {}, fast)
            db.session.commit()
        slow = db.session.get(User, slow_id)
        with pytest.raises(MinutesConflict) as refused:
            save_minutes(slow_meeting, slow_version, "Le plus lent", {}, slow)
        assert isinstance(refused.value.__cause__, StaleDataError)  # caught by the UPDATE
        db.session.rollback()
    db.session.rollback()
    assert minutes_of(mw.meeting).general_notes == "Le plus rapide"
