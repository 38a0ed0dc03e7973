import sqlalchemy as sa
import wtforms
from wtforms import (
    BooleanField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.cases.forms import NO_SENSITIVE_DETAILS
from portal.extensions import db
from portal.forms import (
    BaseForm,
    ChoiceField,
    FrenchDateField,
    FrenchDecimalField,
    RequiredWhen,
    choices,
    enum_choices,
    max_length,
    optional_int,
    record_id,
    required,
    within,
)
from portal.i18n import _, _l
from portal.models import (
    Candidacy,
    CandidacyStatus,
    Case,
    Commune,
    Household,
    Meeting,
    Programme,
    RefusalReason,
    Typology,
)


class CheckboxListField(SelectMultipleField):
    """Check boxes; an unknown or malformed value gets a French message."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_("Cochez des valeurs de la liste.")) from error

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError as error:
            raise ValidationError(_("Cochez des valeurs de la liste.")) from error


class RadioField(wtforms.RadioField):
    """Radio buttons with a French message for an unknown value (same name: the field
    macro draws a fieldset for ``RadioField``)."""

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError as error:
            raise ValidationError(_("Choisissez une valeur de la liste.")) from error


class CandidacyForm(BaseForm):
    household_id = ChoiceField(
        _l("Ménage"),
        coerce=optional_int,
        validators=[required(_l("Choisissez le ménage."))],
        validate_choice=False,
        description=_l("Les dossiers de votre organisation dont le ménage a été informé."),
    )
    programme_id = ChoiceField(
        _l("Programme"),
        coerce=optional_int,
        validators=[required(_l("Choisissez le programme."))],
        validate_choice=False,
    )
    case_id = ChoiceField(
        _l("Situation liée"),
        coerce=optional_int,
        validate_choice=False,
        description=_l(
            "Son historique accompagne la candidature, par un lien : seuls ceux qui peuvent "
            "déjà voir la situation y ont accès."
        ),
    )
    siao_number = StringField(_l("Numéro de demande SI-SIAO"), validators=[max_length(40)])
    requested_typology = ChoiceField(
        _l("Typologie demandée"),
        choices=enum_choices(Typology),
        validators=[required(_l("Choisissez la typologie demandée."))],
    )
    commune_ids = CheckboxListField(
        _l("Communes demandées"),
        coerce=record_id,
        description=_l("Sans commune cochée, celles du dossier du ménage."),
    )
    budget_worked = BooleanField(_l("Budget travaillé avec le ménage"))
    rent_capacity = FrenchDecimalField(
        _l("Loyer résiduel que le ménage peut payer (€ par mois)"),
        places=2,
        validators=[Optional(), within(0, 5000, _l("Entre 0 et 5 000 €."))],
    )
    support_in_place = TextAreaField(
        _l("Accompagnement en place"),
        validators=[max_length(1000)],
        description=_l("Qui accompagne le ménage, et sur quoi (budget, emploi, savoir-habiter…)."),
    )
    readiness_notes = TextAreaField(
        _l("Prêt à sortir : observations"),
        validators=[max_length(2000)],
        description=NO_SENSITIVE_DETAILS,
    )
    situation_justification = TextAreaField(
        _l("Pourquoi proposer ce ménage hors des situations du programme ?"),
        validators=[max_length(1000)],
        description=_l(
            "Obligatoire quand l'hébergement actuel du ménage n'est pas une des situations "
            "du programme ; le SIAO la lit avec la candidature."
        ),
    )
    dalo_recognised_on = FrenchDateField(
        _l("Reconnu prioritaire DALO le"),
        validators=[Optional()],
        years=(2008, 2100),
        description=_l("Date de la décision de la commission de médiation."),
    )
    dalo_decision_reference = StringField(
        _l("Référence de la décision DALO"),
        validators=[max_length(60)],
        description=_l("Obligatoire pour le programme IML DALO."),
    )
    in_hotel = BooleanField(_l("Le ménage est hébergé à l'hôtel"))
    hotel_since = FrenchDateField(
        _l("À l'hôtel depuis le"),
        validators=[Optional()],
        years=(1990, 2100),
        description=_l("Les nuitées d'hôtel évitées par la mesure en sont déduites."),
    )
    submit = SubmitField(_l("Enregistrer le brouillon"))

    def __init__(
        self,
        *args,
        households: list[Household] | None,
        programmes: list[Programme],
        cases: list[Case],
        communes: list[Commune],
        fixed_household_id: int | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fixed_household_id = fixed_household_id
        # None: the household is fixed (editing an existing candidacy).
        self.households = {h.id: h for h in households} if households is not None else None
        if households is None:
            del self.household_id
        else:
            self.household_id.choices = choices(
                [("", _("— Choisir —")), *((h.id, h.reference) for h in households)]
            )
        self.programmes = {p.id: p for p in programmes}
        self.programme_id.choices = choices(
            [("", _("— Choisir —")), *((p.id, p.name) for p in programmes)]
        )
        self.cases = {c.id: c for c in cases}
        self.case_id.choices = choices(
            [
                ("", _("Aucune")),
                *((c.id, f"{c.household.reference} — {c.title}") for c in cases),
            ]
        )
        self.commune_ids.choices = choices((c.id, c.name) for c in communes)

    def validate_household_id(self, field):
        if field.data and field.data not in self.households:
            raise ValidationError(
                _("Choisissez un ménage de votre organisation, informé du partage.")
            )

    def validate_programme_id(self, field):
        if field.data and field.data not in self.programmes:
            raise ValidationError(_("Choisissez un programme actif de la liste."))

    def validate_case_id(self, field):
        if not field.data:
            return
        case = self.cases.get(field.data)
        household_id = (
            self.household_id.data if self.households is not None else self.fixed_household_id
        )
        if case is None or case.household_id != household_id:
            raise ValidationError(_("Choisissez une situation de ce ménage."))

    @property
    def candidacy_data(self) -> dict:
        return {
            "programme_id": self.programme_id.data,
            "case_id": self.case_id.data or None,
            "siao_number": self.siao_number.data,
            "requested_typology": Typology(self.requested_typology.data),
            "commune_ids": self.commune_ids.data or [],
            "budget_worked": self.budget_worked.data,
            "rent_capacity": self.rent_capacity.data,
            "support_in_place": self.support_in_place.data,
            "readiness_notes": self.readiness_notes.data,
            "situation_justification": self.situation_justification.data,
            "dalo_recognised_on": self.dalo_recognised_on.data,
            "dalo_decision_reference": self.dalo_decision_reference.data,
            "in_hotel": self.in_hotel.data,
            "hotel_since": self.hotel_since.data,
        }


class SubmitCandidacyForm(BaseForm):
    comment = TextAreaField(
        _l("Commentaire pour le SIAO"),
        validators=[
            max_length(2000),
            RequiredWhen(_l("pour répondre aux compléments")),
        ],
        description=_l("Obligatoire pour répondre à une demande de compléments."),
    )
    submit = SubmitField(_l("Soumettre au SIAO"))

    def __init__(self, *args, candidacy: Candidacy, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidacy = candidacy

    def validate_comment(self, field):
        if self.candidacy.status == CandidacyStatus.MORE_INFO_REQUESTED and not field.data:
            raise ValidationError(_("Répondez à la demande de compléments du SIAO."))


class WithdrawCandidacyForm(BaseForm):
    comment = TextAreaField(_l("Motif du retrait"), validators=[max_length(2000)])
    submit = SubmitField(_l("Retirer la candidature"))


DECISIONS = choices(
    [
        ("validate", _l("Valider la candidature")),
        ("request_more_info", _l("Demander des compléments")),
        ("refuse", _l("Refuser la candidature")),
    ]
)


class DecisionForm(BaseForm):
    decision = RadioField(
        _l("Décision"),
        choices=DECISIONS,
        validators=[required(_l("Choisissez la décision."))],
    )
    refusal_reason = ChoiceField(
        _l("Motif du refus"),
        choices=choices([("", _l("— Choisir en cas de refus —"))]) + enum_choices(RefusalReason),
        default="",
        validators=[RequiredWhen(_l("pour un refus"))],
    )
    comment = TextAreaField(
        _l("Commentaire pour le CCAS"),
        validators=[max_length(2000), RequiredWhen(_l("pour un refus ou des compléments"))],
        description=_l(
            "Obligatoire pour un refus ou une demande de compléments. Sans information de "
            "santé ni judiciaire."
        ),
    )
    meeting_id = ChoiceField(
        _l("Décision prise en commission SIAO"), coerce=optional_int, validate_choice=False
    )
    submit = SubmitField(_l("Enregistrer la décision"))

    def __init__(self, *args, meetings: list[Meeting], **kwargs):
        super().__init__(*args, **kwargs)
        self.meetings = {m.id: m for m in meetings}
        self.meeting_id.choices = choices(
            [
                ("", _("Hors commission")),
                *((m.id, f"{m.title} — {m.starts_at:%d/%m/%Y}") for m in meetings),
            ]
        )

    def validate_refusal_reason(self, field):
        if self.decision.data == "refuse" and not field.data:
            raise ValidationError(_("Un refus demande un motif."))

    def validate_comment(self, field):
        if self.decision.data == "refuse" and not field.data:
            raise ValidationError(_("Expliquez le refus au CCAS."))
        if self.decision.data == "request_more_info" and not field.data:
            raise ValidationError(_("Précisez les compléments attendus."))

    def validate_meeting_id(self, field):
        if field.data and field.data not in self.meetings:
            raise ValidationError(_("Choisissez une commission SIAO de la liste."))


class CandidacyFilterForm(BaseForm):
    class Meta:
        csrf = False

    status = ChoiceField(
        _l("Statut"),
        choices=choices([("", _l("Tous"))]) + enum_choices(CandidacyStatus),
        default="",
    )
    programme = ChoiceField(_l("Programme"), coerce=optional_int, validate_choice=False)

    def __init__(self, *args, programmes: list[Programme], **kwargs):
        super().__init__(*args, **kwargs)
        self.programme.choices = choices([("", _("Tous")), *((p.id, p.name) for p in programmes)])


def informed_households(organisation_ids) -> list[Household]:
    """Households a candidacy may be written for: the organisation's own, informed, not
    anonymised."""
    from portal.models import InformationRecord

    return list(
        db.session.scalars(
            sa.select(Household)
            .where(
                Household.organisation_id.in_(list(organisation_ids)),
                Household.anonymised_at.is_(None),
                sa.select(InformationRecord.id)
                .where(InformationRecord.household_id == Household.id)
                .exists(),
            )
            .order_by(Household.reference)
        )
    )
