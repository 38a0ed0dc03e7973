"""The pages people use most, and the objects the benchmark opens on them."""

from datetime import datetime

import sqlalchemy as sa

from portal.extensions import db
from portal.local_time import PARIS
from portal.models import (
    AgendaItem,
    Case,
    CaseEvent,
    CaseStatus,
    Meeting,
    MeetingInvitee,
    MeetingKind,
    MeetingStatus,
    User,
    now_utc,
)
from portal.scale import BENCH_EMAIL

# name, label, path (formatted with the targets below)
PAGES = [
    ("dashboard", "Tableau de bord", "/"),
    ("cases", "Situations, filtre « soumises »", "/cases/?status=submitted"),
    ("case", "Fiche d'une situation", "/cases/{case_id}"),
    ("meeting", "Réunion et son ordre du jour", "/meetings/{meeting_id}"),
    ("actions", "Mes actions", "/actions/"),
    ("siao", "Candidatures SIAO", "/siao/"),
    ("report", "Rapport d'activité de l'année en cours", "/reports/activity"),
    ("report_closed", "Rapport d'activité, année close", "/reports/activity?year={closed_year}"),
]

# Every page must serve at least this share of bare Flask's throughput in the same run; the
# current year's report is computed on each request (a closed year's is stored).
TARGET_RATIO = {"report": 0.02}
DEFAULT_TARGET_RATIO = 0.05


def bench_targets() -> dict[str, int]:
    """A decided case of the bench worker's CCAS with the longest timeline, and the latest
    comité technique held to which the worker was invited, with its agenda."""
    user = db.session.scalar(sa.select(User).where(User.email == BENCH_EMAIL))
    own = [m.organisation_id for m in user.memberships]
    case_id = db.session.scalar(
        sa.select(Case.id)
        .join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(Case.organisation_id.in_(own), Case.status == CaseStatus.DECIDED)
        .group_by(Case.id)
        .order_by(sa.func.count(CaseEvent.id).desc(), Case.id)
        .limit(1)
    )
    meeting_id = db.session.scalar(
        sa.select(Meeting.id)
        .join(MeetingInvitee, MeetingInvitee.meeting_id == Meeting.id)
        .where(
            MeetingInvitee.user_id == user.id,
            Meeting.kind == MeetingKind.COMITE_TECHNIQUE,
            Meeting.status == MeetingStatus.PLANNED,
            Meeting.starts_at < now_utc(),
            sa.select(AgendaItem.id).where(AgendaItem.meeting_id == Meeting.id).exists(),
        )
        .order_by(Meeting.starts_at.desc())
        .limit(1)
    )
    return {"case_id": case_id, "meeting_id": meeting_id, "user_id": user.id}


def page_paths(targets: dict[str, int]) -> list[tuple[str, str, str]]:
    """The pages' paths; the closed year is last year, in Paris, on the day of the run."""
    values = {**targets, "closed_year": datetime.now(PARIS).year - 1}
    return [(name, label, path.format(**values)) for name, label, path in PAGES]
