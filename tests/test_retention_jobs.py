"""The daily retention job beyond the households (tests/test_household_data.py and
tests/test_cases_privacy.py cover those): orphan files, the audit trail kept as monthly
counts, owner accounts never confirmed, the hooks that keep an uploaded file and its row
together, the command's refusals, and the job's once-a-day claim."""

import os
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from portal import storage
from portal.cases.services import add_attachment
from portal.extensions import db
from portal.jobs.schedule import purge_audit, run_due_jobs
from portal.models import (
    AuditAction,
    AuditEvent,
    AuditMonthlyCount,
    CaseAttachment,
    JobRun,
    OfferDocumentKind,
    OfferStatusChange,
    OwnerKind,
    OwnerOffer,
    User,
    now_utc,
)
from portal.owners.services import add_document, start_offer
from tests.conftest import (
    PDF_BYTES,
    build_case_world,
    build_world,
    committee_factory,
    household_factory,
    new_territory,
    organisation_factory,
    sign_in,
    user_factory,
)
from tests.support import database_rows


def run_retention(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["retention", "run", *args])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def folder_of(app) -> Path:
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def make_old(path: Path, hours: float = 2) -> None:
    """Set the file's modification time ``hours`` back."""
    moment = time.time() - hours * 3600
    os.utime(path, (moment, moment))


def audit_event(created, action=AuditAction.VIEW, object_type="household") -> AuditEvent:
    event = AuditEvent(created=created, action=action, object_type=object_type, summary="Lu")
    db.session.add(event)
    return event


def monthly_counts() -> dict[tuple[str, str, str], int]:
    return {
        (row.month, row.action, row.object_type): row.count
        for row in db.session.scalars(sa.select(AuditMonthlyCount))
    }


def start_anonymously(client, email: str):
    """The public form's first step, as someone without an account fills it."""
    data = {
        "full_name": "Marie Kerguen",
        "email": email,
        "owner_kind": "person",
        "contact_phone": "06 12 34 56 78",
        "consent_to_contact": "y",
    }
    response = client.post("/landlords/offer/new", data=data)
    assert "Vérifiez votre messagerie" in response.get_data(as_text=True)
    return db.session.scalar(sa.select(User).where(User.email == email))


# 1. Orphan files ----------------------------------------------------------------------------


def test_the_job_removes_old_orphan_files_and_nothing_else(app, world, case_world):
    """A crash between the file and its row leaves a file nobody can reach: the daily job
    removes it once it is an hour old, never a file a row refers to (however old), an
    upload in flight, nor a file that is not one of ours."""
    offer = start_offer(world.landlord, {"owner_kind": OwnerKind.PERSON})
    document = add_document(offer, OfferDocumentKind.DPE, "dpe.pdf", PDF_BYTES, world.landlord)
    db.session.commit()
    folder = folder_of(app)
    attached = folder / case_world.attachment.stored_name
    offered = folder / document.stored_name
    orphan, in_flight = folder / storage.new_name(), folder / storage.new_name()
    not_ours = folder / "LISEZMOI.txt"
    for path in (orphan, in_flight, not_ours):
        path.write_bytes(PDF_BYTES)
    for path in (attached, offered, orphan, not_ours):
        make_old(path)

    output = run_retention(app)

    assert output.splitlines() == [
        "0 dossier(s) anonymisé(s) (conservation : 24 mois après clôture).",
        "Supprimés : 1 fichier(s) orphelin(s).",
    ]
    assert not orphan.exists()
    assert sorted(folder.iterdir()) == sorted([attached, offered, in_flight, not_ours])


# 2. The audit trail --------------------------------------------------------------------------


def test_old_audit_entries_become_monthly_counts_counted_once(app):
    """Access logs are kept AUDIT_KEEP_MONTHS (12 by default, as the CNIL advises): older
    entries are deleted, counted per month, action and object type for the reports; a
    second run finds nothing more and counts nothing twice."""
    assert app.config["AUDIT_KEEP_MONTHS"] == 12
    now = now_utc()
    older, old = now - relativedelta(months=14), now - relativedelta(months=13)
    for _ in range(3):
        audit_event(older)
    audit_event(older, AuditAction.CHANGE, "case")
    for _ in range(2):
        audit_event(old)
    audit_event(old, AuditAction.EXPORT, "household")
    kept = [audit_event(now - relativedelta(months=11)), audit_event(now - timedelta(days=1))]
    db.session.commit()
    kept_ids = {event.id for event in kept}
    expected = {
        (older.strftime("%Y-%m"), "view", "household"): 3,
        (older.strftime("%Y-%m"), "change", "case"): 1,
        (old.strftime("%Y-%m"), "view", "household"): 2,
        (old.strftime("%Y-%m"), "export", "household"): 1,
    }

    output = run_retention(app)

    assert "Supprimés : 7 entrée(s) du journal d'audit." in output
    assert set(db.session.scalars(sa.select(AuditEvent.id))) == kept_ids
    assert monthly_counts() == expected

    again = run_retention(app)

    assert "journal d'audit" not in again
    assert set(db.session.scalars(sa.select(AuditEvent.id))) == kept_ids
    assert monthly_counts() == expected


def test_a_month_purged_over_two_days_adds_up_in_utc_months(app, backend):
    """The cut-off falls mid-month, so a month's entries go over several runs: its count
    adds up. The month is the UTC one, as in the reports (portal/reports/sql.py), even on
    a PostgreSQL server whose time zone is Paris (initdb takes the system's)."""
    if backend == "postgresql":
        db.session.execute(sa.text("SET LOCAL TIME ZONE 'Europe/Paris'"))
    for created in (
        datetime(2024, 1, 31, 23, 30, tzinfo=UTC),  # 1 February, 00:30 in Paris
        datetime(2024, 2, 1, 0, 30, tzinfo=UTC),
        datetime(2024, 2, 20, 12, 0, tzinfo=UTC),
    ):
        audit_event(created)
    db.session.commit()

    assert purge_audit(12, datetime(2025, 2, 15, tzinfo=UTC)) == 2
    db.session.commit()
    assert purge_audit(12, datetime(2025, 2, 25, tzinfo=UTC)) == 1
    db.session.commit()

    assert monthly_counts() == {
        ("2024-01", "view", "household"): 1,
        ("2024-02", "view", "household"): 2,
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


# 3. Owner accounts never confirmed ----------------------------------------------------------


def test_owner_accounts_never_confirmed_go_with_their_drafts(app, client, world):
    """An address typed on the public form and never confirmed is kept no longer than
    UNCONFIRMED_LANDLORD_DAYS (30 by default): the account goes with its draft and its
    history, and no audit entry points at it any more (a later account could be given its
    id); a confirmed owner and a recent unconfirmed one stay."""
    assert app.config["UNCONFIRMED_LANDLORD_DAYS"] == 30
    stale = start_anonymously(client, "ancien@exemple.fr")
    recent = start_anonymously(client, "recent@exemple.fr")
    stale_id = stale.id
    [stale_offer_id] = db.session.scalars(
        sa.select(OwnerOffer.id).where(OwnerOffer.owner_id == stale_id)
    ).all()
    stale.created = now_utc() - timedelta(days=31)
    recent.created = now_utc() - timedelta(days=29)
    world.landlord.created = now_utc() - timedelta(days=365)
    confirmed_offer = start_offer(world.landlord, {"owner_kind": OwnerKind.PERSON})
    db.session.commit()
    assert db.session.scalars(sa.select(AuditEvent).where(AuditEvent.user_id == stale_id)).all()

    output = run_retention(app)

    assert "Supprimés : 1 compte(s) propriétaire jamais confirmé(s)." in output
    assert db.session.get(User, stale_id) is None
    assert db.session.get(OwnerOffer, stale_offer_id) is None
    history = sa.select(OfferStatusChange).where(OfferStatusChange.offer_id == stale_offer_id)
    assert db.session.scalars(history).all() == []
    pointing = sa.select(AuditEvent).where(AuditEvent.user_id == stale_id)
    assert db.session.scalars(pointing).all() == []
    [created] = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.object_type == "user", AuditEvent.object_id == stale_id
        )
    ).all()
    assert created.user_id is None  # the trail keeps the fact, not the person
    assert db.session.get(User, recent.id) is not None
    assert db.session.scalars(sa.select(OwnerOffer).where(OwnerOffer.owner_id == recent.id)).all()
    assert db.session.get(User, world.landlord.id) is not None
    assert db.session.get(OwnerOffer, confirmed_offer.id) is not None


# 4. An upload and its transaction ------------------------------------------------------------


def test_the_file_lives_and_dies_with_the_transaction_of_its_row(app, world, case_world):
    """The file is written once its row is flushed, kept once the transaction commits, and
    removed if it rolls back: never a file without a row."""
    case, author, folder = case_world.case, world.ccas_worker, folder_of(app)

    dropped = add_attachment(case, author, "abandonné.pdf", PDF_BYTES)
    dropped_name = dropped.stored_name
    assert (folder / dropped_name).read_bytes() == PDF_BYTES
    db.session.rollback()

    assert not (folder / dropped_name).exists()
    rows = sa.select(CaseAttachment).where(CaseAttachment.stored_name == dropped_name)
    assert db.session.scalars(rows).all() == []

    kept = add_attachment(case, author, "gardé.pdf", PDF_BYTES)
    db.session.commit()
    db.session.rollback()  # a later failure of the same session takes nothing committed

    assert (folder / kept.stored_name).read_bytes() == PDF_BYTES


def claim_taken(period: str) -> None:
    """A SAVEPOINT that fails on a unique key, as claim_period and create_household catch."""
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(JobRun(name="retention", period=period))
        db.session.flush()


def test_a_savepoint_decides_only_for_the_files_written_inside_it(app, world, case_world):
    """A SAVEPOINT rolled back undoes its own work only: the file of a row flushed before it
    stays when the transaction commits; a file written inside it goes; and a SAVEPOINT
    released is no commit: the file still goes if the transaction then rolls back."""
    case, author, folder = case_world.case, world.ccas_worker, folder_of(app)
    db.session.add(JobRun(name="retention", period="2030-01-01"))
    db.session.commit()

    before = add_attachment(case, author, "avant.pdf", PDF_BYTES)
    claim_taken("2030-01-01")
    db.session.commit()

    assert db.session.get(CaseAttachment, before.id) is not None
    assert (folder / before.stored_name).is_file()

    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        inside = add_attachment(case, author, "dedans.pdf", PDF_BYTES)
        inside_name = inside.stored_name
        db.session.add(JobRun(name="retention", period="2030-01-01"))
        db.session.flush()
    db.session.commit()

    assert not (folder / inside_name).exists()

    released = add_attachment(case, author, "libéré.pdf", PDF_BYTES)
    released_name = released.stored_name
    with db.session.begin_nested():
        db.session.add(JobRun(name="retention", period="2030-01-02"))
    db.session.rollback()

    assert not (folder / released_name).exists()
    assert sorted(os.listdir(folder)) == sorted(
        [case_world.attachment.stored_name, before.stored_name]
    )


def test_an_upload_whose_commit_fails_leaves_no_file(make_app, backend, tmp_path):
    """SQLite, the embedded default, refuses a COMMIT while another connection reads
    (« database is locked »): the page answers 500, and neither the file nor the row is
    left, not even once the next upload commits on the same pooled connection (SQLite
    keeps a failed COMMIT's transaction open: the error page's rollback must end it)."""
    if backend != "sqlite":
        pytest.skip("only SQLite's COMMIT can be made to fail from another connection")
    database = tmp_path / "portal.sqlite3"
    app = make_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 0.2}},
        PROPAGATE_EXCEPTIONS=False,  # answered with the error page, as in production
    )
    client = app.test_client()
    with app.app_context():
        territory = new_territory()
        make_org, make_user = organisation_factory(territory), user_factory()
        world = build_world(make_org, make_user, committee_factory(territory))
        cases = build_case_world(world, make_org, make_user, household_factory())
        case_id, before = cases.case.id, {cases.attachment.stored_name}
        sign_in(client, world.ccas_worker)

    def upload(name: str):
        return client.post(
            f"/cases/{case_id}/attachments",
            data={"file": (BytesIO(PDF_BYTES), name)},
            content_type="multipart/form-data",
        )

    reader = sqlite3.connect(database, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM case_attachment").fetchone()
    try:
        failed = upload("refusé.pdf")
    finally:
        reader.execute("ROLLBACK")
        reader.close()

    assert failed.status_code == 500
    assert set(os.listdir(folder_of(app))) == before
    assert upload("suivant.pdf").status_code == 302
    with app.app_context():
        rows = db.session.execute(sa.select(CaseAttachment.filename, CaseAttachment.stored_name))
        stored = dict(rows.all())
    assert sorted(stored) == ["bilan.pdf", "suivant.pdf"]
    assert set(os.listdir(folder_of(app))) == set(stored.values())


# 5. The command's refusals and dry run --------------------------------------------------------


@pytest.fixture
def leftovers(app, client):
    """Something for each purge: an old audit entry, an old orphan file, an owner account
    never confirmed."""
    audit_event(now_utc() - relativedelta(months=13))
    stale = start_anonymously(client, "ancien@exemple.fr")
    stale.created = now_utc() - timedelta(days=31)
    db.session.commit()
    orphan = folder_of(app) / storage.new_name()
    orphan.write_bytes(PDF_BYTES)
    make_old(orphan)
    return orphan


def test_a_negative_period_is_refused_and_changes_nothing(app, leftovers):
    """« --months -1 » would make every closed household due: the command refuses it before
    anything runs."""
    before = database_rows()

    result = app.test_cli_runner().invoke(args=["retention", "run", "--months", "-1"])

    assert result.exit_code == 2
    assert "--months" in result.output
    assert database_rows() == before
    assert leftovers.is_file()


def test_a_negative_period_is_refused_in_french(app):
    """The people who run the command read French, as everywhere else in the portal."""
    result = app.test_cli_runner().invoke(args=["retention", "run", "--months", "-1"])

    assert result.exit_code == 2
    assert "Invalid value" not in result.output
    assert "une durée de conservation se compte en mois, 0 ou plus" in result.output


def test_a_dry_run_purges_nothing_either(app, leftovers):
    """A dry run only lists the households: the audit entries, the files and the accounts
    that the real run would purge are all left in place."""
    before = database_rows()

    output = run_retention(app, "--months", "0", "--as-of", "2030-01-01", "--dry-run")

    assert output.splitlines() == [
        "0 dossier(s) seraient anonymisé(s) (conservation : 0 mois après clôture) ; "
        "rien n'a été modifié."
    ]
    assert database_rows() == before
    assert leftovers.is_file()


# 6. Once a day ------------------------------------------------------------------------------


def test_the_daily_retention_runs_once_per_day(app):
    """The worker calls run_due_jobs every few seconds: the retention job runs at the first
    call of a UTC day only (the hourly job at the first of each hour), and its run keeps
    the report."""
    audit_event(datetime(2028, 6, 1, tzinfo=UTC))
    db.session.commit()
    morning = datetime(2030, 3, 14, 8, 0, tzinfo=UTC)

    first = dict(run_due_jobs(morning))
    evening = run_due_jobs(morning + timedelta(hours=12))
    next_day = run_due_jobs(datetime(2030, 3, 15, 0, 5, tzinfo=UTC))

    # 9:00 in Paris: the digests too (the weekly one at its first run of the week).
    assert list(first) == ["reminders", "retention", "daily_digest", "weekly_digest"]
    assert "Supprimés : 1 entrée(s) du journal d'audit." in first["retention"]
    assert [name for name, _ in evening] == ["reminders"]
    assert [name for name, _ in next_day] == ["reminders", "retention"]
    runs = db.session.scalars(
        sa.select(JobRun).where(JobRun.name == "retention").order_by(JobRun.period)
    ).all()
    assert [run.period for run in runs] == ["2030-03-14", "2030-03-15"]
    assert runs[0].result == first["retention"]
    assert all(run.finished_at is not None for run in runs)
    assert monthly_counts() == {("2028-06", "view", "household"): 1}
