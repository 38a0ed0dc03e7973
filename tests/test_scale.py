"""`flask demo scale`: synthetic territory data that is complete, consistent, and that the
portal's main pages serve; and SQL queries per page that do not grow with the data."""

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from bench.pages import PAGES, bench_targets, page_paths
from bench.querycount import HEADER, install_query_counter
from portal import create_app
from portal.auth.two_factor import DEMO_TOTP_SECRET
from portal.extensions import db
from portal.models import (
    ActionStatus,
    AgendaItem,
    Attendance,
    Bilan,
    Candidacy,
    CandidacyEvent,
    CandidacyStatus,
    Case,
    CaseEvent,
    CaseNote,
    CaseParticipant,
    CaseStatus,
    Committee,
    Decision,
    FollowUpAction,
    Household,
    HouseholdIdentity,
    HouseholdObstacle,
    HouseholdPerson,
    InformationRecord,
    InvitationResponse,
    Measure,
    MeasureStatus,
    Meeting,
    MeetingInvitee,
    MeetingKind,
    MeetingStatus,
    Membership,
    Minutes,
    MinutesStatus,
    OfferStatus,
    OfferStatusChange,
    Organisation,
    OrganisationKind,
    OwnerOffer,
    Programme,
    RentRecord,
    RentStatus,
    Unit,
    UnitStatus,
    User,
    UserKind,
    committee_organisation,
    now_utc,
)
from portal.scale import BENCH_EMAIL, SCALE_PASSWORD, generate
from tests.support import fresh_totp_code

YEARS = 2


@pytest.fixture
def scaled(make_app):
    """An app whose database holds 200 households over two years."""
    app = make_app()
    install_query_counter(app)
    with app.app_context():
        generate(200, YEARS, seed=7)
        db.session.commit()
        yield app


def count(table) -> int:
    table = getattr(table, "__table__", table)
    return db.session.scalar(sa.select(sa.func.count()).select_from(table))


def values(column) -> set:
    return set(db.session.scalars(sa.select(column).distinct()))


def test_every_table_the_generator_fills_has_rows(scaled):
    filled = [
        "territory", "commune", "organisation", "committee", "committee_organisation",
        "user_account", "membership", "invitation", "household", "household_identity",
        "household_person", "household_obstacle", "household_commune", "information_record",
        "complex_case", "case_participant", "case_note", "case_event", "meeting",
        "meeting_invitee", "agenda_item", "minutes", "minutes_revision", "decision",
        "decision_organisation", "decision_position", "follow_up_action", "programme", "unit",
        "candidacy", "candidacy_commune", "candidacy_event", "measure", "bilan", "rent_record",
        "landlord_offer", "offer_status_change", "audit_event",
    ]  # fmt: skip
    tables = db.metadata.tables
    assert [name for name in filled if not count(tables[name])] == []
    assert count(Household) == 200
    assert {k for (k,) in db.session.execute(sa.select(Organisation.kind))} == set(OrganisationKind)


def test_every_status_is_present(scaled):
    assert values(Case.status) == set(CaseStatus)
    assert values(Candidacy.status) == set(CandidacyStatus)
    assert values(Measure.status) == set(MeasureStatus)
    assert values(OwnerOffer.status) == set(OfferStatus)
    assert values(OfferStatusChange.to_status) == set(OfferStatus)
    assert values(FollowUpAction.status) == set(ActionStatus)
    assert values(Minutes.status) == set(MinutesStatus)
    assert values(MeetingInvitee.response) == set(InvitationResponse)
    assert values(MeetingInvitee.attendance) - {None} == set(Attendance)
    assert values(Meeting.status) == set(MeetingStatus)
    assert values(Meeting.kind) == set(MeetingKind)
    assert values(Unit.status) == set(UnitStatus)
    assert values(RentRecord.status) == set(RentStatus)
    today = now_utc().date()
    overdue = db.session.scalar(
        sa.select(sa.func.count(FollowUpAction.id)).where(
            FollowUpAction.status == ActionStatus.OPEN, FollowUpAction.due_on < today
        )
    )
    assert overdue > 0


def test_invariants_of_the_portal_hold(scaled):
    now = now_utc()
    earliest = now - timedelta(days=365 * YEARS + 31)
    informed = {}
    for household_id, day in db.session.execute(
        sa.select(InformationRecord.household_id, InformationRecord.informed_on)
    ):
        informed[household_id] = min(day, informed.get(household_id, day))
    households = {h.id: h for h in db.session.scalars(sa.select(Household))}
    assert all(earliest <= h.created <= now for h in households.values())
    assert len({h.reference for h in households.values()}) == len(households)

    # A situation is shared only once the household was informed, and dates follow each other.
    cases = db.session.scalars(sa.select(Case)).all()
    for case in cases:
        assert households[case.household_id].created <= case.created <= now
        if case.status == CaseStatus.DRAFT:
            assert case.submitted_at is None
            continue
        assert informed[case.household_id] <= case.submitted_at.date()
        assert case.created <= case.submitted_at <= now
        assert (case.closed_at is not None) == (case.status == CaseStatus.CLOSED)
        if case.closed_at:
            assert case.submitted_at <= case.closed_at <= now
    drafts = {c.id for c in cases if c.status == CaseStatus.DRAFT}
    assert not drafts & values(CaseParticipant.case_id)

    # Cases go to a committee of their organisation; agenda items to their case's committee.
    members = {tuple(row) for row in db.session.execute(sa.select(committee_organisation))}
    assert all((c.committee_id, c.organisation_id) in members for c in cases)
    misplaced = db.session.scalar(
        sa.select(sa.func.count(AgendaItem.id))
        .join(Case, AgendaItem.case_id == Case.id)
        .join(Meeting, AgendaItem.meeting_id == Meeting.id)
        .where(Case.committee_id != Meeting.committee_id)
    )
    assert misplaced == 0
    undecided = db.session.scalar(
        sa.select(sa.func.count(Decision.id))
        .join(Case, Decision.case_id == Case.id)
        .where(Case.status.not_in([CaseStatus.DECIDED, CaseStatus.CLOSED]))
    )
    assert undecided == 0

    # Invitees represent an organisation they belong to.
    memberships = {
        tuple(row)
        for row in db.session.execute(sa.select(Membership.user_id, Membership.organisation_id))
    }
    invitees = db.session.execute(
        sa.select(MeetingInvitee.user_id, MeetingInvitee.organisation_id)
    ).all()
    assert all(tuple(i) in memberships for i in invitees)

    # Actions: closed ones carry their date, open ones none.
    for action in db.session.scalars(sa.select(FollowUpAction)):
        assert (action.closed_at is None) == (action.status == ActionStatus.OPEN)

    # Units: one owner each; a private unit came through its owner's offer.
    for unit in db.session.scalars(sa.select(Unit)):
        assert (unit.social_landlord_id is None) != (unit.private_owner_id is None)
        if unit.private_owner_id:
            offer = db.session.scalar(sa.select(OwnerOffer).where(OwnerOffer.unit_id == unit.id))
            assert offer is not None and offer.owner_id == unit.private_owner_id

    # Candidacies: a CCAS household, informed before it went to the SIAO; housed ⇔ a measure.
    measures = {m.candidacy_id: m for m in db.session.scalars(sa.select(Measure))}
    for candidacy in db.session.scalars(sa.select(Candidacy)):
        assert candidacy.organisation.kind == OrganisationKind.CCAS
        assert candidacy.siao.kind == OrganisationKind.SIAO
        assert informed[candidacy.household_id] <= candidacy.created.date()
        assert (candidacy.status == CandidacyStatus.HOUSED) == (candidacy.id in measures)
        if candidacy.id in measures:
            assert measures[candidacy.id].household_id == candidacy.household_id
            assert measures[candidacy.id].programme_id == candidacy.programme_id

    # Open measures stay within their programme's capacity; rent months are in the past.
    open_counts = Counter(
        m.programme_id
        for m in measures.values()
        if m.status in (MeasureStatus.ACTIVE, MeasureStatus.EXTENDED)
    )
    for programme in db.session.scalars(sa.select(Programme)):
        assert open_counts[programme.id] <= programme.capacity
    for measure in measures.values():
        assert measure.start_date <= now.date()
        assert (measure.end_date is None) == measure.is_open
        assert (measure.unit.status == UnitStatus.LET) == measure.is_open
    assert db.session.scalar(sa.select(sa.func.max(RentRecord.month))) <= now.date()

    # What has happened happened before now: every row's creation, every status change.
    for table in db.metadata.sorted_tables:
        for name in ("created", "updated", "closed_at", "approved_at", "reopened_at",
                     "responded_at", "decided_at", "submitted_at", "held_on"):  # fmt: skip
            if name in table.c and not (table.name == "meeting" and name != "created"):
                latest = db.session.scalar(sa.select(sa.func.max(table.c[name])))
                limit = now.date() if name == "held_on" else now
                assert latest is None or latest <= limit, (table.name, name, latest)


def test_the_bench_social_worker_has_a_full_day(scaled):
    user = db.session.scalar(sa.select(User).where(User.email == BENCH_EMAIL))
    assert user.kind == UserKind.STAFF and not user.is_coordinator
    assert [o.kind for o in user.organisations] == [OrganisationKind.CCAS]
    own = user.organisations[0].id

    def rows(model, *where):
        return db.session.scalar(sa.select(sa.func.count(model.id)).where(*where))

    assert rows(Household, Household.organisation_id == own) >= 20
    assert rows(Case, Case.created_by_id == user.id) >= 10
    assert rows(MeetingInvitee, MeetingInvitee.user_id == user.id) >= 10
    assert rows(FollowUpAction, FollowUpAction.user_id == user.id) > 0
    assert rows(Candidacy, Candidacy.organisation_id == own) > 0


def sign_in_bench(app):
    client = app.test_client()
    response = client.post("/login", data={"email": BENCH_EMAIL, "password": SCALE_PASSWORD})
    assert response.location == "/login/second-factor"
    with app.app_context():
        last_step = db.session.scalar(
            sa.select(User.totp_last_step).where(User.email == BENCH_EMAIL)
        )
    response = client.post(
        "/login/second-factor", data={"code": fresh_totp_code(DEMO_TOTP_SECRET, last_step)}
    )
    assert response.status_code == 302 and response.location == "/"
    return client


def served_pages(app) -> list[tuple[str, str]]:
    """The benchmarked pages whose feature is installed (some are still being built)."""
    adapter = app.url_map.bind("localhost")
    served = []
    for name, _label, path in page_paths(bench_targets()):
        try:
            adapter.match(path.split("?")[0])
        except NotFound:
            continue
        served.append((name, path))
    return served


def test_main_pages_answer_for_the_bench_social_worker(scaled):
    client = sign_in_bench(scaled)
    targets = bench_targets()
    assert targets["case_id"] and targets["meeting_id"]
    checked = []
    for name, path in served_pages(scaled):
        response = client.get(path)
        assert response.status_code == 200, (name, path, response.status_code)
        assert int(response.headers[HEADER]) > 0
        checked.append(name)
    assert {"dashboard", "cases", "case", "meeting", "actions"} <= set(checked)


# Queries per page, on a small and a larger territory -------------------------------------------


def case_shapes(organisation_ids) -> dict[tuple, int]:
    """Decided cases by the shape of their page: events, notes, shares, decisions, actions."""

    def per_case(model, column):
        return dict(
            db.session.execute(sa.select(column, sa.func.count(model.id)).group_by(column)).all()
        )

    events = per_case(CaseEvent, CaseEvent.case_id)
    notes = per_case(CaseNote, CaseNote.case_id)
    shares = per_case(CaseParticipant, CaseParticipant.case_id)
    decisions = per_case(Decision, Decision.case_id)
    actions = per_case(FollowUpAction, FollowUpAction.case_id)
    # Each query that meets new people loads their memberships: count the people too.
    people = dict(
        db.session.execute(
            sa.select(CaseEvent.case_id, sa.func.count(sa.distinct(CaseEvent.user_id))).group_by(
                CaseEvent.case_id
            )
        ).all()
    )
    shapes = {}
    for case_id in db.session.scalars(
        sa.select(Case.id)
        .where(Case.organisation_id.in_(organisation_ids), Case.status == CaseStatus.DECIDED)
        .order_by(Case.id)
    ):
        shape = tuple(
            m.get(case_id, 0) for m in (events, notes, shares, decisions, actions, people)
        )
        shapes.setdefault(shape, case_id)
    return shapes


def meeting_shapes(user_id) -> dict[tuple, int]:
    """Meetings held to which the worker was invited, by agenda length, decisions, actions."""
    shapes = {}
    meetings = db.session.scalars(
        sa.select(Meeting)
        .join(MeetingInvitee, MeetingInvitee.meeting_id == Meeting.id)
        .where(MeetingInvitee.user_id == user_id, Meeting.kind == MeetingKind.COMITE_TECHNIQUE,
               Meeting.status == MeetingStatus.PLANNED, Meeting.starts_at < now_utc())
        .order_by(Meeting.starts_at.desc())
    )  # fmt: skip
    for meeting in meetings:
        shape = tuple(
            db.session.scalar(
                sa.select(sa.func.count(model.id)).where(model.meeting_id == meeting.id)
            )
            for model in (AgendaItem, Decision, FollowUpAction)
        )
        shapes.setdefault(shape, meeting.id)
    return shapes


@pytest.fixture(scope="module")
def territories():
    """Two territories, small and larger, on SQLite (the count is the same on PostgreSQL):
    for each, the bench worker's pages, opened on a case and a meeting of the same shape."""
    from tests.conftest import config_for
    from tests.support import FreshRequestClient

    apps = {}
    for size, (households, years, seed) in {"small": (300, 1, 3), "large": (1500, 3, 4)}.items():
        app = create_app(config_for("sqlite"))
        app.test_client_class = FreshRequestClient
        install_query_counter(app)
        with app.app_context():
            db.create_all()
            generate(households, years, seed=seed)
            db.session.commit()
            user = db.session.scalar(sa.select(User).where(User.email == BENCH_EMAIL))
            shapes = (case_shapes(list(user.organisation_ids)), meeting_shapes(user.id))
        apps[size] = (app, shapes)
    pairs = zip(apps["small"][1], apps["large"][1], strict=True)
    # The largest shape both territories have: a long timeline, a full agenda.
    common = [sorted(set(small) & set(large), reverse=True) for small, large in pairs]
    counts = {}
    for size, (app, shapes) in apps.items():
        with app.app_context():
            targets = bench_targets()
            if common[0]:
                targets["case_id"] = shapes[0][common[0][0]]
            if common[1]:
                targets["meeting_id"] = shapes[1][common[1][0]]
            counts[size] = queries_per_page(app, targets)
    # Within the larger territory: the shortest and the longest case timeline and agenda.
    app, (cases, meetings) = apps["large"]
    with app.app_context():
        for length, pick in (("short", min), ("long", max)):
            targets = bench_targets()
            targets.update(case_id=cases[pick(cases)], meeting_id=meetings[pick(meetings)])
            counts[length] = queries_per_page(app, targets, only={"case", "meeting"})
    yield counts
    for app, _shapes in apps.values():
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def queries_per_page(app, targets, only=None) -> dict[str, int]:
    client = sign_in_bench(app)
    adapter = app.url_map.bind("localhost")
    counts = {}
    for name, _label, path in page_paths(targets):
        if only and name not in only:
            continue
        try:
            adapter.match(path.split("?")[0])
        except NotFound:
            continue  # a feature still being built
        client.get(path)  # the first read fills the caches
        response = client.get(path)
        assert response.status_code == 200, (name, path)
        counts[name] = int(response.headers[HEADER])
    return counts


# An eager "selectin" load runs only when a query meets objects not yet in the session (new
# people, new cases): pages of the same shape may differ by a query or two, whatever the size
# of the data. Loading row by row differs by one query per row.
NOISE = 2


def known_growth(reason: str):
    """Strict: once the page is fixed the test passes, and the mark must go."""
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)


# Pages that still load row by row (N+1): strict, so that the fix removes the mark. None
# today: the bilan alerts of the dashboard are loaded together (measures.bilan_alerts).
GROWING: dict[str, str] = {}


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(name, marks=known_growth(GROWING[name])) if name in GROWING else name
        for name, _label, _path in PAGES
    ],
)
def test_queries_per_page_do_not_grow_with_the_data(territories, page):
    if page not in territories["small"]:
        pytest.skip(f"{page}: feature not installed yet")
    small, large = territories["small"][page], territories["large"][page]
    assert large <= small + NOISE, (
        f"{page}: {small} SQL queries on a small territory, {large} on a larger one"
    )


def test_the_command_refuses_a_database_that_is_not_empty(scaled):
    result = scaled.test_cli_runner().invoke(args=["demo", "scale", "--households", "10"])
    assert result.exit_code != 0
    assert "n'est pas vide" in result.output
    assert count(Household) == 200


def test_the_command_fills_an_empty_database(make_app):
    app = make_app()
    result = app.test_cli_runner().invoke(
        args=["demo", "scale", "--households", "30", "--years", "1", "--seed", "5"]
    )
    assert result.exit_code == 0, result.output
    assert BENCH_EMAIL in result.output
    with app.app_context():
        assert count(Household) == 30
        assert count(HouseholdIdentity) == 30
        assert count(HouseholdPerson) >= 30
        assert count(Committee) >= 6
        assert count(CaseEvent) and count(CaseNote) and count(CandidacyEvent) and count(Bilan)
        assert count(HouseholdObstacle) > 0


def test_pages_list_matches_the_issue():
    assert [name for name, _label, _path in PAGES] == [
        "dashboard", "cases", "case", "meeting", "actions", "siao", "report", "report_closed",
    ]  # fmt: skip


# A long timeline or agenda costs no more queries than a short one: the case and meeting
# pages render before committing the audit event (a commit expires what was loaded), and the
# agenda's households and audit events are loaded and written together.
@pytest.mark.parametrize("page", ["case", "meeting"])
def test_queries_do_not_grow_with_a_long_timeline_or_agenda(territories, page):
    short, long = territories["short"][page], territories["long"][page]
    assert long <= short + NOISE, f"{page}: {short} SQL queries when short, {long} when long"


def test_meeting_emails_load_the_invitees_memberships_together(scaled):
    """Each invitee's e-mail shows the agenda as that person may see it: their memberships
    come in one query for the whole meeting, not one per invitee."""
    from portal.meetings.services import INVITATION_SUBJECT, send_invitations

    with_cases = sa.select(AgendaItem.meeting_id).where(AgendaItem.case_id.is_not(None))
    meeting_id = db.session.scalar(
        sa.select(MeetingInvitee.meeting_id)
        .where(MeetingInvitee.meeting_id.in_(with_cases))
        .group_by(MeetingInvitee.meeting_id)
        .order_by(sa.func.count(MeetingInvitee.id).desc())
        .limit(1)
    )
    db.session.expire_all()  # the people as a new request finds them
    meeting = db.session.get(Meeting, meeting_id)
    invitees = list(meeting.invitees)
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        with scaled.test_request_context("/"):
            send_invitations(meeting, invitees, "meeting_invitation", INVITATION_SUBJECT)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    db.session.rollback()
    assert len(invitees) > 3
    assert sum("FROM membership" in s for s in statements) == 1
