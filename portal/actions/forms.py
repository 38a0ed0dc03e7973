import sqlalchemy as sa
from flask_babel import to_user_timezone
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional, ValidationError

from portal.actions.services import NOTE_MAX, is_active_member, meeting_decisions
from portal.case_content import DecisionView, ItemView, decision_views, item_views
from portal.committees.forms import CheckboxListField
from portal.extensions import db
from portal.forms import (
    BAD_DATE,
    FILTER_YEARS,
    BaseForm,
    FrenchDateField,
    choices,
    enum_choices,
    max_length,
    optional_int,
    record_id,
    required,
    strip,
    years_around_today,
)
from portal.i18n import _, _l
from portal.models import (
    ActionStatus,
    Committee,
    DecisionKind,
    Meeting,
    Membership,
    Organisation,
    User,
)


def meeting_organisations(meeting: Meeting) -> list[Organisation]:
    """Who may take part in a meeting's decisions: the committee's members and the
    organisations invited (a landlord at a point de situation, for instance)."""
    by_id = {o.id: o for o in meeting.committee.organisations}
    by_id.update({i.organisation.id: i.organisation for i in meeting.invitees})
    return sorted((o for o in by_id.values() if o.active), key=lambda o: o.name)


class PositionForm(Form):
    """A partner's position, when it differs from the joint decision."""

    organisation_id = SelectField(
        _l("Organisation"), coerce=optional_int, filters=[strip], validate_choice=False
    )
    position = StringField(_l("Sa position"), validators=[max_length(1000)], filters=[strip])

    def validate_position(self, field):
        if bool(self.organisation_id.data) != bool(field.data):
            raise ValidationError(_("Indiquez l'organisation et sa position, ou aucune des deux."))


class DecisionForm(BaseForm):
    agenda_item_id = SelectField(
        _l("Point de l'ordre du jour"), coerce=optional_int, validate_choice=False
    )
    kind = SelectField(
        _l("Type de décision"),
        choices=enum_choices(DecisionKind),
        validators=[required(_l("Choisissez le type de décision."))],
    )
    text = TextAreaField(
        _l("Décision"),
        validators=[required(_l("Écrivez la décision prise.")), max_length(2000)],
        description=_l(
            "Ce que les partenaires ont décidé ensemble, sans nom ni information de "
            "santé : le ménage est désigné par sa référence."
        ),
    )
    organisation_ids = CheckboxListField(
        _l("Organisations ayant pris part à la décision"), coerce=record_id
    )
    positions = FieldList(FormField(PositionForm), min_entries=3, max_entries=10)
    submit = SubmitField(_l("Enregistrer la décision"))

    def __init__(self, *args, meeting: Meeting, reader, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.agenda_item_id.choices = choices(
            [
                ("", _("Hors ordre du jour (décision générale de la réunion)")),
                *(
                    (view.item.id, item_label(number, view))
                    for number, view in enumerate(item_views(reader, meeting.agenda_items), start=1)
                ),
            ]
        )
        organisations = meeting_organisations(meeting)
        self.organisation_ids.choices = choices((o.id, o.name) for o in organisations)
        for entry in self.positions.entries:
            entry.form.organisation_id.choices = choices(
                [("", _("— Choisir —")), *((o.id, o.name) for o in organisations)]
            )

    def validate_agenda_item_id(self, field):
        if field.data and field.data not in {item.id for item in self.meeting.agenda_items}:
            raise ValidationError(_("Choisissez un point de l'ordre du jour de cette réunion."))

    def validate_organisation_ids(self, field):
        if not field.data:
            raise ValidationError(_("Cochez au moins une organisation."))

    def validate_positions(self, field):
        taking_part = set(self.organisation_ids.data or [])
        chosen = [e.form.organisation_id.data for e in field.entries if e.form.organisation_id.data]
        if any(o not in taking_part for o in chosen):
            raise ValidationError(
                _(
                    "Une position ne se note que pour une organisation qui a pris part : "
                    "cochez-la aussi plus haut."
                )
            )
        if len(chosen) != len(set(chosen)):
            raise ValidationError(_("Une seule position par organisation."))


def item_label(number: int, view: ItemView) -> str:
    """An agenda item as the reader may see it (a case not shared with them: its kind)."""
    label = f"{number}. {view.title}"
    return f"{label} — situation {view.reference}" if view.reference else label


def people_choices(organisations: list[Organisation]) -> dict[str, list]:
    """Active members of each organisation, grouped by organisation for the select."""
    rows = db.session.execute(
        sa.select(User, Membership.organisation_id)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id.in_([o.id for o in organisations]),
            Membership.active,
            User.active,
        )
        .order_by(User.full_name)
    ).all()
    grouped: dict[str, list[tuple[int | str, str]]] = {"": [("", _("— Toute l'organisation —"))]}
    for organisation in organisations:
        people: list[tuple[int | str, str]] = [
            (u.id, u.full_name) for u, org_id in rows if org_id == organisation.id
        ]
        if people:
            grouped[organisation.name] = people
    return grouped


class ActionForm(BaseForm):
    decision_id = SelectField(_l("Décision"), coerce=optional_int, validate_choice=False)
    description = TextAreaField(
        _l("Action à mener"),
        validators=[required(_l("Décrivez l'action à mener.")), max_length(1000)],
        description=_l("Une action précise, sans nom du ménage."),
    )
    organisation_id = SelectField(
        _l("Organisation responsable"),
        coerce=optional_int,
        validators=[required(_l("Choisissez l'organisation responsable."))],
        validate_choice=False,
    )
    user_id = SelectField(
        _l("Personne responsable"),
        coerce=optional_int,
        description=_l("Facultatif : sinon, tous les membres de l'organisation sont prévenus."),
        validate_choice=False,
    )
    due_on = FrenchDateField(
        _l("Échéance"), validators=[InputRequired(BAD_DATE)], bounds=years_around_today(1, 5)
    )
    submit = SubmitField(_l("Enregistrer l'action"))

    def __init__(self, *args, meeting: Meeting, reader, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.decisions = {d.id: d for d in meeting_decisions(meeting)}
        self.decision_id.choices = choices(
            [
                ("", _("Sans décision liée")),
                *(
                    (view.decision.id, decision_label(view))
                    for view in decision_views(reader, self.decisions.values())
                ),
            ]
        )
        organisations = meeting_organisations(meeting)
        self.organisation_ids_allowed = {o.id for o in organisations}
        self.organisation_id.choices = choices(
            [("", _("— Choisir —")), *((o.id, o.name) for o in organisations)]
        )
        self.user_id.choices = people_choices(organisations)

    def validate_decision_id(self, field):
        if field.data and field.data not in self.decisions:
            raise ValidationError(_("Choisissez une décision de cette réunion."))

    def validate_organisation_id(self, field):
        if field.data and field.data not in self.organisation_ids_allowed:
            raise ValidationError(_("Choisissez une organisation de la liste."))

    def validate_user_id(self, field):
        if not field.data or not self.organisation_id.data:
            return
        person = db.session.get(User, field.data)
        organisation = db.session.get(Organisation, self.organisation_id.data)
        if person is None or organisation is None or not is_active_member(person, organisation):
            raise ValidationError(
                _("Cette personne n'est pas membre active de l'organisation responsable.")
            )

    def validate_due_on(self, field):
        if field.data and field.data < to_user_timezone(self.meeting.starts_at).date():
            raise ValidationError(_("L'échéance ne peut pas précéder la réunion."))


def decision_label(view: DecisionView) -> str:
    """A decision as the reader may see it (about a case not shared with them: its kind)."""
    label = (
        f"{view.decision.kind.label} — {view.subject}" if view.subject else view.decision.kind.label
    )
    if view.is_confidential:
        return label
    text = view.text if len(view.text) <= 60 else view.text[:57] + "…"
    return f"{label} : {text}"


class CloseActionForm(BaseForm):
    note = TextAreaField(
        _l("Note"),
        validators=[max_length(1000)],
        description=_l("Ce qui a été fait ; pour une annulation, son motif (obligatoire)."),
    )


class ActionFilterForm(BaseForm):
    """« Mes actions »: filters (GET, no CSRF)."""

    class Meta:
        csrf = False

    scope = SelectField(
        _l("Pour"),
        choices=choices(
            [
                ("", _l("Moi et mon organisation")),
                ("mine", _l("Moi")),
                ("organisation", _l("Mon organisation")),
            ]
        ),
        validators=[Optional()],
    )
    status = SelectField(
        _l("Statut"),
        choices=choices(
            [
                (ActionStatus.OPEN.value, ActionStatus.OPEN.label),
                (ActionStatus.DONE.value, ActionStatus.DONE.label),
                (ActionStatus.CANCELLED.value, ActionStatus.CANCELLED.label),
                ("all", _l("Tous")),
            ]
        ),
        default=ActionStatus.OPEN.value,
        validators=[Optional()],
    )
    committee = SelectField(_l("Instance"), coerce=optional_int, validators=[Optional()])
    overdue = BooleanField(_l("En retard seulement"))

    def __init__(self, *args, committees: list[Committee], **kwargs):
        super().__init__(*args, **kwargs)
        self.committee.choices = choices([("", _("Toutes")), *((c.id, c.name) for c in committees)])


class DecisionFilterForm(BaseForm):
    """The decisions list and export: committee and period (GET, no CSRF)."""

    class Meta:
        csrf = False

    committee = SelectField(_l("Instance"), coerce=optional_int, validators=[Optional()])
    kind = SelectField(
        _l("Type de décision"),
        choices=choices([("", _l("Tous")), *((k.value, k.label) for k in DecisionKind)]),
        validators=[Optional()],
    )
    date_from = FrenchDateField(
        _l("Réunions depuis le"), validators=[Optional()], years=FILTER_YEARS
    )
    date_to = FrenchDateField(_l("Jusqu'au"), validators=[Optional()], years=FILTER_YEARS)

    def __init__(self, *args, committees: list[Committee], **kwargs):
        super().__init__(*args, **kwargs)
        self.committee.choices = choices([("", _("Toutes")), *((c.id, c.name) for c in committees)])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_("La fin de la période précède son début."))


class ActionNoteForm(BaseForm):
    text = TextAreaField(
        _l("Note"),
        validators=[required(_l("Écrivez la note.")), max_length(NOTE_MAX)],
        description=_l(
            "Où en est l'action, ce qui la bloque. Lue par les organisateurs et "
            "l'organisation responsable."
        ),
    )
    submit = SubmitField(_l("Ajouter la note"))
