from decimal import Decimal

from wtforms import (
    BooleanField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional, ValidationError

from portal.candidacies.forms import CheckboxListField
from portal.forms import (
    BaseForm,
    ChoiceField,
    FrenchDateField,
    FrenchDecimalField,
    FrenchIntegerField,
    choices,
    enum_choices,
    max_length,
    optional_int,
    required,
    within,
)
from portal.i18n import _, _l
from portal.models import Accommodation, Commune, DpeClass, Organisation, Typology, UnitStatus


class ProgrammeForm(BaseForm):
    name = StringField(
        _l("Nom du programme"),
        validators=[required(_l("Indiquez le nom du programme.")), max_length(160)],
    )
    description = TextAreaField(
        _l("Description"),
        validators=[max_length(1000)],
        description=_l("L'agrément, son financeur, le public visé."),
    )
    capacity = FrenchIntegerField(
        _l("Capacité (nombre de mesures simultanées)"),
        validators=[
            InputRequired(_l("Indiquez la capacité du programme.")),
            within(0, 1000, _l("La capacité est un nombre entre 0 et 1 000.")),
        ],
    )
    active = BooleanField(_l("Programme actif"), default=True)
    situation_codes = CheckboxListField(
        _l("Situations pour lesquelles le programme est prévu"),
        choices=enum_choices(Accommodation),
        description=_l(
            "L'hébergement actuel des ménages proposés. Une candidature hors de ces situations "
            "demande une justification, que le SIAO lit. Aucune case cochée : toutes les "
            "situations."
        ),
    )
    requires_dalo = BooleanField(
        _l("Réservé aux ménages reconnus prioritaires DALO (date et référence de la décision)")
    )
    submit = SubmitField(_l("Enregistrer"))


def optional_enum_choices(enum_class, placeholder=_l("— Non renseigné —")):
    return choices([("", placeholder)]) + enum_choices(enum_class)


class UnitForm(BaseForm):
    social_landlord_id = ChoiceField(
        _l("Bailleur social"), coerce=optional_int, validate_choice=False
    )
    address = StringField(
        _l("Adresse"), validators=[required(_l("Indiquez l'adresse.")), max_length(250)]
    )
    commune_id = ChoiceField(
        _l("Commune"),
        coerce=optional_int,
        validators=[required(_l("Choisissez la commune."))],
        validate_choice=False,
    )
    typology = ChoiceField(
        _l("Typologie"),
        choices=enum_choices(Typology),
        validators=[required(_l("Choisissez la typologie."))],
    )
    surface = FrenchDecimalField(
        _l("Surface habitable (m²)"),
        places=2,
        validators=[
            InputRequired(_l("Indiquez la surface.")),
            within(Decimal("9"), Decimal("500"), _l("Entre 9 et 500 m².")),
        ],
    )
    rooms = FrenchIntegerField(
        _l("Nombre de pièces"),
        default=1,
        validators=[
            InputRequired(_l("Indiquez le nombre de pièces.")),
            within(1, 20, _l("Entre 1 et 20 pièces.")),
        ],
    )
    floor = FrenchIntegerField(
        _l("Étage"),
        default=0,
        validators=[
            InputRequired(_l("Indiquez l'étage (0 pour le rez-de-chaussée).")),
            within(-2, 60, _l("Entre -2 et 60.")),
        ],
    )
    lift = BooleanField(_l("Ascenseur"))
    accessible = BooleanField(_l("Accessible à une personne à mobilité réduite"))
    rent = FrenchDecimalField(
        _l("Loyer mensuel hors charges (€)"),
        places=2,
        validators=[
            InputRequired(_l("Indiquez le loyer.")),
            within(Decimal("0"), Decimal("5000"), _l("Entre 0 et 5 000 €.")),
        ],
    )
    charges = FrenchDecimalField(
        _l("Charges mensuelles (€)"),
        places=2,
        default=Decimal("0"),
        validators=[
            InputRequired(_l("Indiquez les charges (0 s'il n'y en a pas).")),
            within(Decimal("0"), Decimal("2000"), _l("Entre 0 et 2 000 €.")),
        ],
    )
    dpe_class = ChoiceField(_l("Classe énergie (DPE)"), choices=optional_enum_choices(DpeClass))
    available_from = FrenchDateField(_l("Disponible à partir du"), validators=[Optional()])
    notes = TextAreaField(
        _l("Observations"),
        validators=[max_length(1000)],
        description=_l("Sans information sur un ménage."),
    )
    submit = SubmitField(_l("Enregistrer"))

    def __init__(
        self,
        *args,
        communes: list[Commune],
        landlords: list[Organisation] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.commune_ids = {c.id for c in communes}
        self.commune_id.choices = choices(
            [("", _("— Choisir —")), *((c.id, c.name) for c in communes)]
        )
        # None: the owner is fixed (the landlord's own organisation, or an existing unit).
        self.landlords = {o.id: o for o in landlords} if landlords is not None else None
        if landlords is None:
            del self.social_landlord_id
        else:
            self.social_landlord_id.choices = choices(
                [("", _("— Choisir —")), *((o.id, o.name) for o in landlords)]
            )

    def validate_commune_id(self, field):
        if field.data and field.data not in self.commune_ids:
            raise ValidationError(_("Choisissez une commune de votre territoire."))

    def validate_social_landlord_id(self, field):
        if not field.data:
            raise ValidationError(_("Choisissez le bailleur social."))
        if field.data not in self.landlords:
            raise ValidationError(_("Choisissez un bailleur social de la liste."))

    @property
    def unit_data(self) -> dict:
        return {
            "address": self.address.data,
            "commune_id": self.commune_id.data,
            "typology": Typology(self.typology.data),
            "surface": self.surface.data,
            "rooms": self.rooms.data,
            "floor": self.floor.data,
            "lift": bool(self.lift.data),
            "accessible": bool(self.accessible.data),
            "rent": self.rent.data,
            "charges": self.charges.data,
            "dpe_class": DpeClass(self.dpe_class.data) if self.dpe_class.data else None,
            "available_from": self.available_from.data,
            "notes": self.notes.data or "",
        }


class UnitFilterForm(BaseForm):
    class Meta:
        csrf = False

    commune = ChoiceField(_l("Commune"), coerce=optional_int, validate_choice=False)
    typology = ChoiceField(
        _l("Typologie"), choices=optional_enum_choices(Typology, _l("Toutes")), default=""
    )
    status = ChoiceField(
        _l("État"), choices=optional_enum_choices(UnitStatus, _l("Tous")), default=""
    )

    def __init__(self, *args, communes: list[Commune], **kwargs):
        super().__init__(*args, **kwargs)
        self.commune.choices = choices([("", _("Toutes")), *((c.id, c.name) for c in communes)])


class UnitStatusForm(BaseForm):
    transition = StringField(validators=[required(), max_length(40)])
