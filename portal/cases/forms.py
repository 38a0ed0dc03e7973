import re
from datetime import date

import sqlalchemy as sa
from flask_babel import format_datetime
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from portal.committees.forms import CheckboxListField
from portal.committees.services import committees_of
from portal.extensions import db
from portal.forms import (
    BAD_DATE,
    FILTER_YEARS,
    BaseForm,
    FrenchDateField,
    choices,
    email_field,
    enum_choices,
    max_length,
    optional_int,
    record_id,
    required,
    strip,
    text_field,
    up_to_today,
)
from portal.i18n import _, _l
from portal.models import (
    AccessLevel,
    Accommodation,
    CaseStatus,
    Commune,
    HouseholdPublic,
    Obstacle,
    Organisation,
    PersonRole,
    ResourceBracket,
    ResourceType,
    Typology,
)

NO_SENSITIVE_DETAILS = _l(
    "Quelques lignes factuelles. Aucune information de santé ni judiciaire : "
    "seulement ce qui aide les partenaires à trouver une solution de logement."
)


def optional_choice(enum_class, empty_label: str = _l("— Non renseigné —")) -> list:
    return choices([("", empty_label), *((m.value, m.lazy_label) for m in enum_class)])


class PersonForm(BaseForm):
    """One named member of the household (identity: seen by the owning organisation only).

    A FlaskForm, without its own CSRF token, so that its messages are in French too."""

    class Meta:
        csrf = False

    role = SelectField(
        _l("Lien"), choices=optional_choice(PersonRole, _l("— Lien —")), filters=[strip]
    )
    first_name = StringField(_l("Prénom"), validators=[max_length(80)], filters=[strip])
    last_name = StringField(_l("Nom"), validators=[max_length(80)], filters=[strip])
    birth_date = FrenchDateField(
        _l("Date de naissance"), validators=[Optional()], bounds=up_to_today(1900)
    )

    def validate_last_name(self, field):
        if bool(self.first_name.data) != bool(field.data):
            raise ValidationError(_("Indiquez le prénom et le nom, ou aucun des deux."))

    def validate_role(self, field):
        if (self.first_name.data or self.last_name.data) and not field.data:
            raise ValidationError(_("Indiquez le lien de cette personne avec le ménage."))


class HouseholdForm(BaseForm):
    # Situation: what partners may see, pseudonymised.
    public = SelectField(
        _l("Public"),
        choices=enum_choices(HouseholdPublic),
        validators=[required(_l("Choisissez le public."))],
    )
    victim_of_violence = BooleanField(_l("Victime de violences"))
    adults = IntegerField(
        _l("Nombre d'adultes"),
        default=1,
        validators=[
            InputRequired(_l("Indiquez le nombre d'adultes.")),
            NumberRange(1, 10, _l("Entre 1 et 10 adultes.")),
        ],
    )
    children = IntegerField(
        _l("Nombre d'enfants"),
        default=0,
        validators=[
            InputRequired(_l("Indiquez le nombre d'enfants (0 s'il n'y en a pas).")),
            NumberRange(0, 15, _l("Entre 0 et 15 enfants.")),
        ],
    )
    children_ages = StringField(
        _l("Âge des enfants"),
        validators=[max_length(60)],
        description=_l("Séparés par des virgules, par exemple : 3, 7, 12"),
    )
    accommodation = SelectField(
        _l("Hébergement actuel"),
        choices=enum_choices(Accommodation),
        validators=[required(_l("Choisissez l'hébergement actuel."))],
    )
    accommodation_since = FrenchDateField(
        _l("Entrée dans l'hébergement le"),
        validators=[Optional()],
        bounds=up_to_today(1950),
        description=_l("La durée de séjour en est déduite."),
    )
    resource_type = SelectField(_l("Ressources principales"), choices=optional_choice(ResourceType))
    resource_bracket = SelectField(
        _l("Ressources mensuelles du ménage"), choices=optional_choice(ResourceBracket)
    )
    typology = SelectField(_l("Typologie recherchée"), choices=optional_choice(Typology))
    commune_ids = CheckboxListField(_l("Communes souhaitées"), coerce=record_id)
    obstacles = CheckboxListField(_l("Freins au relogement"), choices=enum_choices(Obstacle))
    situation_notes = TextAreaField(
        _l("Observations"), validators=[max_length(500)], description=NO_SENSITIVE_DETAILS
    )
    # Identity: stored apart, seen by the owning organisation only.
    persons = FieldList(FormField(PersonForm), min_entries=4, max_entries=8)
    phone = StringField(_l("Téléphone"), validators=[max_length(30)])
    email = email_field(_l("E-mail"), optional=True)
    address = StringField(_l("Adresse ou lieu de contact"), validators=[max_length(250)])
    submit = SubmitField(_l("Enregistrer le dossier"))
    # Shown only when the organisation already has a file for the same person.
    create_anyway = BooleanField(_l("Ce n'est pas le même ménage : créer un nouveau dossier"))

    def __init__(self, *args, territory_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        communes = db.session.scalars(
            sa.select(Commune).where(Commune.territory_id == territory_id).order_by(Commune.name)
        )
        self.commune_ids.choices = choices((c.id, c.name) for c in communes)
        first = self.persons.entries[0].form.role
        if not self.is_submitted() and not first.data:
            first.data = PersonRole.DEMANDEUR.value

    def validate_children_ages(self, field):
        if not field.data:
            return
        if not re.fullmatch(r"\d{1,2}(\s*,\s*\d{1,2})*", field.data):
            raise ValidationError(_("Indiquez des âges en années, séparés par des virgules."))
        if self.children.data is not None and len(field.data.split(",")) != self.children.data:
            raise ValidationError(_("Indiquez un âge par enfant."))

    def validate_persons(self, field):
        if not any(entry.form.last_name.data for entry in field.entries):
            raise ValidationError(_("Indiquez au moins le demandeur principal (prénom et nom)."))

    @property
    def situation_data(self) -> dict:
        data = self.data
        data["public"] = HouseholdPublic(data["public"])
        data["accommodation"] = Accommodation(data["accommodation"])
        data["resource_type"] = (
            ResourceType(data["resource_type"]) if data["resource_type"] else None
        )
        data["resource_bracket"] = (
            ResourceBracket(data["resource_bracket"]) if data["resource_bracket"] else None
        )
        data["typology"] = Typology(data["typology"]) if data["typology"] else None
        data["persons"] = [
            {**person, "role": PersonRole(person["role"])}
            for person in data["persons"]
            if person["role"]
        ]
        return data


class InformationForm(BaseForm):
    informed_on = FrenchDateField(
        _l("Date de l'information"),
        validators=[InputRequired(BAD_DATE)],
        bounds=up_to_today(2000),
        default=date.today,
    )
    what_is_shared = text_field(
        _l("Ce qui est partagé"),
        300,
        # Callables: translated when the form is built, and a plain str in field data.
        default=lambda: _(
            "La situation du ménage (sans son identité) et la question posée au comité."
        ),
    )
    shared_with = text_field(
        _l("Avec qui"),
        300,
        default=lambda: _("Les partenaires du comité technique du parcours logement."),
    )
    allows_identity = BooleanField(
        _l("Le ménage accepte que son identité soit transmise"),
        description=_l(
            "Noms, dates de naissance et coordonnées : aux partenaires à qui vous donnez un "
            "accès complet, et au SIAO pour une candidature. Sans cette case, seule la "
            "situation pseudonymisée est partagée."
        ),
    )
    submit = SubmitField(_l("Enregistrer l'information"))


class CaseForm(BaseForm):
    committee_id = SelectField(
        _l("Instance"), coerce=optional_int, validators=[required(_l("Choisissez l'instance."))]
    )
    title = text_field(
        _l("Titre"),
        160,
        description=_l("Une ligne, sans nom : par exemple « Relogement T2 bloqué par une dette »."),
    )
    question = TextAreaField(
        _l("Question posée aux partenaires"),
        validators=[required(_l("Posez la question aux partenaires.")), max_length(2000)],
        description=NO_SENSITIVE_DETAILS,
    )
    submit = SubmitField(_l("Enregistrer"))

    def __init__(self, *args, organisation_ids, **kwargs):
        super().__init__(*args, **kwargs)
        committees = committees_of(organisation_ids)
        # No committee preselected (the first one, alphabetically, is rarely the right one).
        self.committee_id.choices = choices(
            [("", _("— Choisissez l'instance —"))] if committees else []
        ) + choices((c.id, f"{c.name} ({c.territory.name})") for c in committees)


class ShareForm(BaseForm):
    organisation_id = SelectField(
        _l("Organisation"),
        coerce=optional_int,
        validators=[required(_l("Choisissez une organisation."))],
    )
    level = RadioField(
        _l("Niveau d'accès"),
        choices=enum_choices(AccessLevel),
        default=AccessLevel.SITUATION.value,
        validators=[required(_l("Choisissez un niveau d'accès."))],
    )
    reason = text_field(_l("Motif du partage"), 300)
    submit = SubmitField(_l("Partager"))

    def __init__(self, *args, owner_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = db.session.scalars(
            sa.select(Organisation)
            .where(Organisation.active, Organisation.id != owner_id)
            .order_by(Organisation.name)
        )
        # No organisation preselected: one click must not share with whoever comes first.
        self.organisation_id.choices = choices(
            [("", _("— Choisissez une organisation —")), *((o.id, o.name) for o in organisations)]
        )


class NoteForm(BaseForm):
    body = TextAreaField(
        _l("Votre message"),
        validators=[required(_l("Écrivez votre message.")), max_length(5000)],
        description=NO_SENSITIVE_DETAILS,
    )
    internal = BooleanField(_l("Note interne : visible seulement par mon organisation"))
    submit = SubmitField(_l("Publier"))


class AttachmentForm(BaseForm):
    file = FileField(_l("Fichier"), validators=[FileRequired(_l("Choisissez un fichier."))])
    submit = SubmitField(_l("Joindre le fichier"))


class CaseFilterForm(BaseForm):
    """The list's search and filters (GET, no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Rechercher"), validators=[max_length(100)])
    # default="": without it, a list opened with no (or some) parameters shows "not a valid
    # choice" on these two filters and silently ignores all the others.
    status = SelectField(_l("Statut"), choices=optional_choice(CaseStatus, _l("Tous")), default="")
    committee = SelectField(_l("Instance"), coerce=lambda v: int(v) if v else None)
    public = SelectField(
        _l("Public"), choices=optional_choice(HouseholdPublic, _l("Tous")), default=""
    )
    organisation = SelectField(_l("Organisation"), coerce=lambda v: int(v) if v else None)
    date_from = FrenchDateField(_l("Créée depuis le"), validators=[Optional()], years=FILTER_YEARS)
    date_to = FrenchDateField(_l("Jusqu'au"), validators=[Optional()], years=FILTER_YEARS)

    def __init__(self, *args, organisation_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.committee.choices = choices(
            [("", _("Toutes")), *((c.id, c.name) for c in committees_of(organisation_ids))]
        )
        organisations = db.session.scalars(sa.select(Organisation).order_by(Organisation.name))
        self.organisation.choices = choices(
            [("", _("Toutes")), *((o.id, o.name) for o in organisations)]
        )


class AgendaChoiceForm(BaseForm):
    """« Inscrire à l'ordre du jour »: which meeting."""

    meeting_id = SelectField(
        _l("Réunion"),
        coerce=optional_int,
        validators=[required(_l("Choisissez une réunion à venir."))],
        description=_l(
            "Si votre organisation n'organise pas cette réunion, la situation est proposée à "
            "ses organisateurs, qui l'inscrivent."
        ),
    )
    submit = SubmitField(_l("Inscrire à l'ordre du jour"))

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.meetings = {m.id: m for m in meetings}
        self.meeting_id.choices = choices(
            [("", _("— Choisissez la réunion —"))]
            + [
                (m.id, f"{m.title} — {format_datetime(m.starts_at, _('d MMMM yyyy'))}")
                for m in meetings
            ]
        )
