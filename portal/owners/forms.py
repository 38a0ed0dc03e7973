import sqlalchemy as sa
from flask_wtf.file import FileField, FileRequired

# SelectChoice is new in WTForms 3.3, which its stubs (3.2) do not know yet.
from wtforms import (  # type: ignore[attr-defined]
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional, ValidationError

from portal.extensions import db
from portal.forms import (
    BaseForm,
    FrenchDateField,
    FrenchDecimalField,
    FrenchIntegerField,
    choices,
    email_field,
    enum_choices,
    max_length,
    optional_int,
    required,
    text_field,
)
from portal.i18n import _, _l
from portal.models import (
    Commune,
    DpeClass,
    OfferReason,
    OwnerKind,
    PreferredScheme,
    Typology,
    VisitResult,
)


def commune_choices(placeholder: str):
    communes = db.session.scalars(sa.select(Commune).order_by(Commune.name))
    return choices([("", placeholder), *((c.id, c.name) for c in communes)])


def check_commune(field):
    if field.data is not None and db.session.get(Commune, field.data) is None:
        raise ValidationError(_("Choisissez une commune de la liste."))


def dpe_choices():
    return choices([("", _l("Je ne sais pas")), *((d.value, d.value) for d in DpeClass)])


# The simulator ------------------------------------------------------------------------------


class SimulatorForm(BaseForm):
    """Read from the query string: a GET form, no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    commune = SelectField(_l("Commune"), coerce=optional_int, validate_choice=False)
    surface = FrenchDecimalField(
        _l("Surface habitable (m²)"),
        [InputRequired(_l("Indiquez la surface du logement."))],
        low=1,
        high=1000,
    )
    main_room_surface = FrenchDecimalField(
        _l("Surface de la pièce principale (m²)"), [Optional()], low=1, high=1000
    )
    ceiling_height = FrenchDecimalField(
        _l("Hauteur sous plafond de la pièce principale (m)"), [Optional()], low=1, high=10
    )
    rent = FrenchDecimalField(
        _l("Loyer mensuel hors charges (€)"),
        [InputRequired(_l("Indiquez le loyer envisagé."))],
        low=0,
        high=20_000,
    )
    charges = FrenchDecimalField(_l("Charges mensuelles (€)"), [Optional()], high=5_000, low=0)
    dpe_class = SelectField(_l("Classe énergie (DPE)"), choices=dpe_choices, validate_choice=False)
    furnished = BooleanField(_l("Logement meublé"))
    agency_fees = FrenchDecimalField(
        _l("Frais d'agence par mise en location (€)"), [Optional()], high=50_000, low=0
    )
    lease_date = FrenchDateField(_l("Date envisagée du bail"), [Optional()], years=(2000, 2100))
    vacancy_months = FrenchDecimalField(
        _l("Hypothèse : mois sans locataire par an"), [Optional()], high=12, low=0
    )
    unpaid_rate = FrenchDecimalField(
        _l("Hypothèse : part de loyers impayés (%)"), [Optional()], high=100, low=0
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commune.choices = commune_choices(_("Autre commune / je ne sais pas"))

    def validate_commune(self, field):
        check_commune(field)

    def validate_dpe_class(self, field):
        if field.data and field.data not in {d.value for d in DpeClass}:
            raise ValidationError(_("Choisissez une classe de A à G."))


# The offer, step by step ---------------------------------------------------------------------


class OwnerForm(BaseForm):
    owner_kind = RadioField(
        _l("Vous êtes"),
        choices=enum_choices(OwnerKind),
        default=OwnerKind.PERSON.value,
        validators=[required(_l("Indiquez si vous êtes un particulier ou une société."))],
    )
    company_name = text_field(_l("Nom de la société"), 160, optional=True)
    contact_phone = StringField(
        _l("Téléphone"),
        validators=[Optional(), max_length(30)],
        render_kw={"autocomplete": "tel"},
    )
    consent_to_contact = BooleanField(
        _l("J'accepte que le CCAS me contacte au sujet de ce logement."),
        validators=[required(_l("Votre accord est nécessaire pour que le CCAS vous réponde."))],
    )
    # The simulator's figures, signed, carried into the new offer (views.public.carried_from).
    simulation = HiddenField()
    submit = SubmitField(_l("Enregistrer et continuer"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.owner_kind.data == OwnerKind.COMPANY.value and not self.company_name.data:
            self.company_name.errors = [
                *self.company_name.errors,
                _("Indiquez le nom de la société."),
            ]
            return False
        return valid

    def validate_contact_phone(self, field):
        allowed = set("0123456789 +.()-")
        if field.data and not set(field.data) <= allowed:
            raise ValidationError(_("Indiquez un numéro de téléphone (chiffres seulement)."))


class NewOwnerForm(OwnerForm):
    """The first step, for someone without an account yet: it creates one."""

    full_name = text_field(_l("Nom et prénom"), 120, render_kw={"autocomplete": "name"})
    email = email_field()
    # A honeypot: hidden from people by CSS, filled by bots.
    website = StringField(
        _l("Ne remplissez pas ce champ"),
        validators=[max_length(10_000)],
        render_kw={"autocomplete": "off", "tabindex": "-1"},
    )


class UnitForm(BaseForm):
    address = text_field(_l("Adresse du logement"), 250, render_kw={"autocomplete": "off"})
    commune_id = SelectField(
        _l("Commune"),
        coerce=optional_int,
        validate_choice=False,
        validators=[InputRequired(_l("Choisissez la commune."))],
    )
    typology = SelectField(
        _l("Type de logement"),
        choices=[SelectChoice("", _l("Choisissez…")), *enum_choices(Typology)],
        validators=[required(_l("Choisissez le type de logement."))],
    )
    surface = FrenchDecimalField(
        _l("Surface habitable (m²)"), [InputRequired(_l("Indiquez la surface."))], low=1, high=1000
    )
    main_room_surface = FrenchDecimalField(
        _l("Surface de la pièce principale (m²)"), [Optional()], low=1, high=1000
    )
    ceiling_height = FrenchDecimalField(
        _l("Hauteur sous plafond (m)"), [Optional()], low=1, high=10
    )
    rooms = FrenchIntegerField(_l("Nombre de pièces"), [Optional()], low=1, high=20)
    floor = FrenchIntegerField(
        _l("Étage (0 pour le rez-de-chaussée)"), [Optional()], low=-2, high=60
    )
    lift = BooleanField(_l("Ascenseur"))
    accessible = BooleanField(_l("Accessible à une personne à mobilité réduite"))
    rent = FrenchDecimalField(
        _l("Loyer mensuel hors charges (€)"),
        [InputRequired(_l("Indiquez le loyer."))],
        high=20_000,
        low=0,
    )
    charges = FrenchDecimalField(_l("Charges mensuelles (€)"), [Optional()], high=5_000, low=0)
    agency_fees = FrenchDecimalField(
        _l("Frais d'agence si vous louiez seul (€)"), [Optional()], high=50_000, low=0
    )
    dpe_class = SelectField(_l("Classe énergie (DPE)"), choices=dpe_choices, validate_choice=False)
    dpe_number = StringField(
        _l("Numéro du DPE (13 caractères)"), validators=[Optional(), max_length(20)]
    )
    furnished = BooleanField(_l("Logement meublé"))
    available_from = FrenchDateField(_l("Disponible à partir du"), [Optional()], years=(2000, 2100))
    vacant_since = FrenchDateField(_l("Vide depuis le"), [Optional()], years=(2000, 2100))
    submit = SubmitField(_l("Enregistrer et continuer"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commune_id.choices = commune_choices(_("Choisissez…"))

    def validate_commune_id(self, field):
        check_commune(field)

    def validate_dpe_class(self, field):
        if field.data and field.data not in {d.value for d in DpeClass}:
            raise ValidationError(_("Choisissez une classe de A à G."))

    def validate_dpe_number(self, field):
        if field.data and not field.data.isalnum():
            raise ValidationError(_("Le numéro du DPE ne contient que des lettres et chiffres."))

    def cleaned(self) -> dict:
        data = {name: self[name].data for name in self._fields if name != "csrf_token"}
        data["typology"] = Typology(data["typology"])
        data["dpe_class"] = DpeClass(data["dpe_class"]) if data["dpe_class"] else None
        data["dpe_number"] = data["dpe_number"] or ""
        data.pop("submit")
        return data


class SchemeForm(BaseForm):
    preferred_scheme = RadioField(
        _l("Comment souhaitez-vous louer au CCAS ?"),
        choices=enum_choices(PreferredScheme),
        validators=[required(_l("Choisissez une formule, ou « je ne sais pas encore »."))],
    )
    submit = SubmitField(_l("Enregistrer et continuer"))


class DocumentForm(BaseForm):
    kind = SelectField(_l("Document"), validators=[required(_l("Choisissez le document."))])
    file = FileField(_l("Fichier"), validators=[FileRequired(_l("Choisissez un fichier."))])
    submit = SubmitField(_l("Déposer le document"))

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices([("", _("Choisissez…")), *((k.value, k.label) for k in kinds)])


class MessageForm(BaseForm):
    body = TextAreaField(
        _l("Votre message"), validators=[required(_l("Écrivez un message.")), max_length(4000)]
    )
    submit = SubmitField(_l("Envoyer"))


class NoteForm(BaseForm):
    body = TextAreaField(
        _l("Note interne (jamais visible du propriétaire)"),
        validators=[required(_l("Écrivez la note.")), max_length(4000)],
    )
    submit = SubmitField(_l("Ajouter la note"))


# Staff ---------------------------------------------------------------------------------------


class AssignForm(BaseForm):
    staff_id = SelectField(_l("Suivie par"), coerce=optional_int, validate_choice=False)
    submit = SubmitField(_l("Enregistrer"))


class VisitForm(BaseForm):
    visit_at = DateTimeLocalField(
        _l("Date et heure de la visite"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Indiquez une date et une heure valides."))],
    )
    submit = SubmitField(_l("Planifier la visite"))

    def validate_visit_at(self, field):
        if field.data and not (2000 <= field.data.year <= 2100):
            raise ValidationError(_("Indiquez une date entre 2000 et 2100."))


class ChecklistForm(BaseForm):
    main_room = BooleanField()
    heating = BooleanField()
    water = BooleanField()
    electricity_gas = BooleanField()
    ventilation = BooleanField()
    light = BooleanField()
    kitchen = BooleanField()
    bathroom = BooleanField()
    weather_tight = BooleanField()
    result = RadioField(
        _l("Conclusion de la visite"),
        choices=enum_choices(VisitResult),
        validators=[required(_l("Indiquez la conclusion de la visite."))],
    )
    comment = TextAreaField(_l("Observations"), validators=[max_length(2000)])
    submit = SubmitField(_l("Enregistrer la grille"))


class StatusForm(BaseForm):
    to_status = SelectField(_l("Nouvelle étape"), validate_choice=False)
    reason = SelectField(
        _l("Motif (blocage ou refus)"),
        choices=[SelectChoice("", _l("—")), *enum_choices(OfferReason)],
        validate_choice=False,
    )
    comment = TextAreaField(_l("Commentaire"), validators=[max_length(1000)])
    submit = SubmitField(_l("Changer l'étape"))


# Rules ---------------------------------------------------------------------------------------


class RuleValueForm(BaseForm):
    value = text_field(_l("Nouvelle valeur"), 40)
    source = text_field(_l("Source (texte, article, lien)"), 500)
    effective_from = FrenchDateField(
        _l("Date d'effet"), [InputRequired(_l("Indiquez la date d'effet."))], years=(2000, 2100)
    )
    submit = SubmitField(_l("Enregistrer"))


class CeilingForm(BaseForm):
    commune_id = SelectField(
        _l("Commune"),
        coerce=optional_int,
        validate_choice=False,
        validators=[InputRequired(_l("Choisissez la commune."))],
    )
    level = SelectField(
        _l("Niveau"),
        choices=choices([("1", "Loc1"), ("2", "Loc2"), ("3", "Loc3")]),
        validators=[required(_l("Choisissez le niveau."))],
    )
    eur_per_m2 = FrenchDecimalField(
        _l("Plafond (€/m² par mois)"), [InputRequired(_l("Indiquez le plafond."))], low=0, high=100
    )
    source = text_field(_l("Source"), 500)
    effective_from = FrenchDateField(
        _l("Date d'effet"), [InputRequired(_l("Indiquez la date d'effet."))], years=(2000, 2100)
    )
    is_example = BooleanField(_l("Valeur d'exemple (non officielle)"))
    submit = SubmitField(_l("Enregistrer"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commune_id.choices = commune_choices(_("Choisissez…"))

    def validate_commune_id(self, field):
        check_commune(field)
