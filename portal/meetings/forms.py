from datetime import datetime

import sqlalchemy as sa
from wtforms import (
    IntegerField,
    RadioField,
    SelectField,
    SubmitField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import NumberRange, Optional, ValidationError

from portal import permissions
from portal.committees.forms import CheckboxListField
from portal.extensions import db
from portal.forms import (
    BAD_DATE,
    BaseForm,
    FrenchDateField,
    choices,
    enum_choices,
    max_length,
    optional_int,
    record_id,
    required,
    text_field,
    years_around_today,
)
from portal.i18n import _, _l
from portal.local_time import PARIS
from portal.models import (
    Committee,
    InvitationResponse,
    Meeting,
    MeetingKind,
    Membership,
    Organisation,
    User,
    UserKind,
    now_utc,
)
from portal.organisations.services import organisations_without_accounts

ANSWERS = (InvitationResponse.ACCEPTED, InvitationResponse.DECLINED, InvitationResponse.EXCUSED)


def schedulable_committees(user) -> list[Committee]:
    committees = db.session.scalars(
        sa.select(Committee).where(Committee.active).order_by(Committee.name)
    )
    return [c for c in committees if permissions.can_schedule_meeting(user, c)]


def invitable_people() -> list[User]:
    """Active staff of active organisations (private owners have no meeting pages)."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.active,
                User.kind == UserKind.STAFF,
                User.id.in_(
                    sa.select(Membership.user_id)
                    .join(Organisation, Membership.organisation_id == Organisation.id)
                    .where(Membership.active, Organisation.active)
                ),
            )
            .order_by(User.full_name)
            .options(sa.orm.selectinload(User.memberships))  # the choices name their organisations
        )
    )


class MeetingForm(BaseForm):
    committee_id = SelectField(
        _l("Instance"), coerce=optional_int, validators=[required(_l("Choisissez l'instance."))]
    )
    kind = SelectField(
        _l("Type de réunion"),
        choices=enum_choices(MeetingKind),
        validators=[required(_l("Choisissez le type de réunion."))],
    )
    title = text_field(
        _l("Titre"), 160, description=_l("Par exemple : « Comité technique de mars ».")
    )
    day = FrenchDateField(
        _l("Date"),
        validators=[required(BAD_DATE)],
        bounds=years_around_today(2, 3),
    )
    time = TimeField(
        _l("Heure de début"),
        format="%H:%M",
        validators=[required(_l("Indiquez une heure valide (hh:mm)."))],
        description=_l("Heure de Paris."),
    )
    duration_minutes = IntegerField(
        _l("Durée (minutes)"),
        default=120,
        validators=[
            required(_l("Indiquez la durée en minutes.")),
            NumberRange(15, 600, _l("Entre 15 et 600 minutes.")),
        ],
    )
    location = text_field(_l("Lieu"), 250, optional=True)
    video_link = URLField(
        _l("Lien de visioconférence"),
        validators=[Optional(), max_length(500)],
        description=_l("Une adresse commençant par https://"),
    )
    organisation_ids = CheckboxListField(
        _l("Organisations invitées"),
        coerce=record_id,
        description=_l("Tous leurs membres actifs sont invités, pour leur organisation."),
    )
    user_ids = CheckboxListField(_l("Personnes invitées individuellement"), coerce=record_id)
    submit = SubmitField(_l("Enregistrer"))

    def __init__(self, *args, user, meeting: Meeting | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        if meeting is None:
            # No committee is preselected: a meeting scheduled on the wrong one would be
            # sent to the wrong partners.
            self.committee_id.choices = choices(
                [
                    ("", _("— Choisissez l'instance —")),
                    *(
                        (c.id, f"{c.name} ({c.territory.name})")
                        for c in schedulable_committees(user)
                    ),
                ]
            )
        else:
            # A meeting stays with its committee.
            self.committee_id.choices = choices([(meeting.committee_id, meeting.committee.name)])
            self.committee_id.data = meeting.committee_id
        organisations = list(
            db.session.scalars(
                sa.select(Organisation).where(Organisation.active).order_by(Organisation.name)
            )
        )
        # An organisation without an active account cannot be reached: say so, never skip
        # it silently.
        unreachable = {o.id for o in organisations_without_accounts(organisations)}
        self.organisation_ids.choices = choices(
            (
                o.id,
                f"{o.name} ({o.kind.label})"
                + (_(" — aucun compte actif : invitez un membre") if o.id in unreachable else ""),
            )
            for o in organisations
        )
        self.user_ids.choices = choices(
            (u.id, f"{u.full_name} ({', '.join(o.name for o in u.organisations)})")
            for u in invitable_people()
        )

    @property
    def starts_at(self) -> datetime | None:
        if self.day.data is None or self.time.data is None:
            return None
        return datetime.combine(self.day.data, self.time.data, tzinfo=PARIS)

    def validate_time(self, field):
        starts_at = self.starts_at
        if starts_at is None:
            return
        unchanged = self.meeting is not None and self.meeting.starts_at == starts_at
        if starts_at < now_utc() and not unchanged:
            raise ValidationError(_("Cette date est passée : choisissez un moment à venir."))

    def validate_video_link(self, field):
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError(_("Indiquez une adresse commençant par https://"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Both fields are optional on their own: one of them is needed.
        if not self.location.data and not self.video_link.data:
            # A list once validated (its stubs say Sequence).
            self.location.errors.append(  # type: ignore[attr-defined]
                _("Indiquez un lieu ou un lien de visioconférence.")
            )
            valid = False
        return valid

    def validate_organisation_ids(self, field):
        if not field.data and not self.user_ids.data:
            raise ValidationError(_("Invitez au moins une organisation ou une personne."))

    @property
    def meeting_data(self) -> dict:
        return {
            "committee_id": self.committee_id.data,
            "kind": MeetingKind(self.kind.data),
            "title": self.title.data,
            "starts_at": self.starts_at,
            "duration_minutes": self.duration_minutes.data,
            "location": self.location.data or "",
            "video_link": self.video_link.data or "",
            "organisation_ids": self.organisation_ids.data or [],
            "user_ids": self.user_ids.data or [],
        }


OPINION_MAX = 2000


def only_when_excused(form, field):
    if field.data and form.response.data != InvitationResponse.EXCUSED.value:
        raise ValidationError(
            _(
                "Un avis écrit accompagne une réponse « %(excused)s ».",
                excused=InvitationResponse.EXCUSED.label,
            )
        )


class AnswerForm(BaseForm):
    opinion_items: list = []  # the agenda items one may give an opinion on (``answer_form``)

    response = RadioField(
        _l("Votre réponse"),
        choices=choices((a.value, a.lazy_label) for a in ANSWERS),
        validators=[required(_l("Choisissez votre réponse."))],
    )
    opinion = TextAreaField(
        _l("Avis écrit général (si vous êtes excusé)"),
        validators=[max_length(OPINION_MAX), only_when_excused],
        description=_l(
            "Lu par tous les invités et joint à l'ordre du jour : n'y parlez d'aucune "
            "situation (donnez votre avis sur une situation dans le champ de son point). "
            "Aucune information de santé ni judiciaire."
        ),
    )
    submit = SubmitField(_l("Envoyer ma réponse"))

    @property
    def item_opinions(self) -> dict[int, str]:
        return {
            view.item.id: self[f"item_opinion_{view.item.id}"].data or ""
            for view in self.opinion_items
        }


def answer_form(items, **kwargs) -> AnswerForm:
    """The answer form, with an opinion field for each agenda item whose notes the invitee
    may read (on a case: read only by the partners who may read its discussion)."""
    readable = [view for view in items if view.shows_notes]

    class Form(AnswerForm):
        opinion_items = readable

    for view in readable:
        setattr(
            Form,
            f"item_opinion_{view.item.id}",
            TextAreaField(
                _("Avis sur le point « %(title)s »", title=view.title),
                validators=[max_length(OPINION_MAX), only_when_excused],
                description=_(
                    "Lu par les seuls partenaires qui voient cette situation."
                    if view.item.case is not None
                    else "Lu par tous les invités."
                ),
            ),
        )
    return Form(**kwargs)


class CoOrganiserForm(BaseForm):
    person = SelectField(
        _l("Co-organisateur"), validators=[required(_l("Choisissez une personne."))]
    )
    submit = SubmitField(_l("Nommer co-organisateur"))

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {f"{u.id}-{o.id}": (u, o) for u, o in candidates}
        self.person.choices = choices(
            [("", _("— Choisissez —"))]
            + [(key, f"{u.full_name} ({o.name})") for key, (u, o) in self.candidates.items()]
        )

    @property
    def chosen(self):
        return self.candidates.get(self.person.data)


class AgendaItemForm(BaseForm):
    case_id = SelectField(
        _l("Situation présentée"),
        coerce=lambda v: int(v) if v else None,
        validators=[Optional()],
        description=_l(
            "Seules les situations soumises à cette instance peuvent être inscrites ; une "
            "situation suivie par une autre organisation que la vôtre lui est proposée, et "
            "n'est inscrite qu'avec son accord."
        ),
    )
    title = text_field(
        _l("Titre du point"),
        200,
        optional=True,
        description=_l(
            "Lu par tous les invités (pour une situation, par ceux qui la voient) : n'y "
            "écrivez aucun nom. Facultatif pour une situation : « Étude de situation » par "
            "défaut."
        ),
    )
    duration_minutes = IntegerField(
        _l("Durée (minutes)"),
        default=15,
        validators=[
            required(_l("Indiquez la durée en minutes.")),
            NumberRange(5, 240, _l("Entre 5 et 240 minutes.")),
        ],
    )
    presenter_organisation_id = SelectField(
        _l("Organisation qui présente"), coerce=lambda v: int(v) if v else None
    )
    submit = SubmitField(_l("Ajouter à l'ordre du jour"))

    def __init__(self, *args, cases, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.case_id.choices = choices(
            [("", _("— Aucune (point général) —"))]
            + [(c.id, f"{c.household.reference} — {c.title}") for c in cases]
        )
        self.presenter_organisation_id.choices = choices(
            [("", _("— Non précisé —"))] + [(o.id, o.name) for o in organisations]
        )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # The title is optional for a case only.
        if not self.title.data and not self.case_id.data and not self.case_id.errors:
            # A list once validated (its stubs say Sequence).
            self.title.errors.append(  # type: ignore[attr-defined]
                _("Donnez un titre au point, ou choisissez une situation.")
            )
            valid = False
        return valid
