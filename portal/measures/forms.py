from decimal import Decimal

from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Optional, ValidationError

from portal.forms import (
    BAD_DATE,
    BaseForm,
    FrenchDateField,
    FrenchDecimalField,
    FrenchMonthField,
    RequiredWhen,
    choices,
    max_length,
    optional_int,
    required,
    text_field,
    within,
)
from portal.i18n import _, _l
from portal.models import (
    Bilan,
    BilanOutcome,
    MeasureEndReason,
    MeasureStatus,
    RentStatus,
)
from portal.models.housing import BudgetAssessment, HouseholdWish, SupportAssessment

BAD_AMOUNT = _l("Indiquez un montant, par exemple 450,50.")
MONEY_RANGE = within(0, 100_000, _l("Indiquez un montant entre 0 et 100 000 €."))


def yes_no_choices():
    return choices([("", _l("— Non renseigné —")), ("yes", _l("Oui")), ("no", _l("Non"))])


def yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def assessment_choices(enum_class):
    return choices([("", _l("— Non évalué —")), *((m.value, m.lazy_label) for m in enum_class)])


def assessment(enum_class, value: str | None):
    return enum_class(value) if value else None


NO_NAMES = _l("Sans nom ni information de santé : elle figure sur la fiche-bilan.")


class OpenMeasureForm(BaseForm):
    candidacy_id = SelectField(
        _l("Candidature validée"),
        coerce=optional_int,
        validators=[required(_l("Choisissez la candidature validée par le SIAO."))],
        validate_choice=False,
    )
    unit_id = SelectField(
        _l("Logement"),
        coerce=optional_int,
        validators=[required(_l("Choisissez un logement disponible."))],
        validate_choice=False,
    )
    start_date = FrenchDateField(
        _l("Début de la sous-location"),
        validators=[InputRequired(BAD_DATE)],
        description=_l("Les bilans à 6 et 10 mois et la décision à 12 mois en découlent."),
    )
    rent = FrenchDecimalField(
        invalid=BAD_AMOUNT,
        label=_l("Loyer mensuel hors charges (€)"),
        validators=[InputRequired(_l("Indiquez le loyer.")), MONEY_RANGE],
    )
    charges = FrenchDecimalField(
        invalid=BAD_AMOUNT, label=_l("Charges mensuelles (€)"), validators=[Optional(), MONEY_RANGE]
    )
    household_share = FrenchDecimalField(
        invalid=BAD_AMOUNT,
        label=_l("Part payée par le ménage chaque mois (€)"),
        validators=[InputRequired(_l("Indiquez la part du ménage.")), MONEY_RANGE],
        description=_l("Ce que le ménage verse au CCAS, aides au logement déduites."),
    )
    referent_id = SelectField(
        _l("Travailleur social référent"),
        coerce=optional_int,
        validators=[required(_l("Choisissez le travailleur social référent."))],
        validate_choice=False,
    )
    submit = SubmitField(_l("Ouvrir la mesure"))

    def __init__(self, *args, candidacies, units, referents, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidacies = {c.id: c for c in candidacies}
        self.units = {u.id: u for u in units}
        self.referents = {u.id: u for u in referents}
        self.candidacy_id.choices = choices(
            [("", _("— Choisir —")), *((c.id, candidacy_label(c)) for c in candidacies)]
        )
        self.unit_id.choices = choices(
            [("", _("— Choisir —")), *((u.id, unit_label(u)) for u in units)]
        )
        self.referent_id.choices = choices(
            [("", _("— Choisir —")), *((u.id, u.full_name) for u in referents)]
        )

    def validate_candidacy_id(self, field):
        if field.data and field.data not in self.candidacies:
            raise ValidationError(_("Choisissez une candidature validée de la liste."))

    def validate_unit_id(self, field):
        if field.data and field.data not in self.units:
            raise ValidationError(_("Choisissez un logement disponible de la liste."))

    def validate_referent_id(self, field):
        if field.data and field.data not in self.referents:
            raise ValidationError(_("Choisissez un membre de votre CCAS."))
        candidacy = self.candidacies.get(self.candidacy_id.data)
        person = self.referents.get(field.data)
        if candidacy and person and candidacy.organisation_id not in person.organisation_ids:
            raise ValidationError(_("Le référent doit être membre du CCAS de la candidature."))

    def validate_household_share(self, field):
        total = (self.rent.data or Decimal("0")) + (self.charges.data or Decimal("0"))
        if field.data is not None and self.rent.data is not None and field.data > total:
            raise ValidationError(
                _("La part du ménage ne peut dépasser le loyer charges comprises.")
            )


def candidacy_label(candidacy) -> str:
    return f"{candidacy.household.reference} — {candidacy.programme.name}"


def unit_label(unit) -> str:
    return f"{unit} ({unit.landlord_name}) — {unit.status.label}"


class BilanForm(BaseForm):
    held_on = FrenchDateField(_l("Date du bilan"), validators=[InputRequired(BAD_DATE)])
    landlord_present = BooleanField(_l("Le propriétaire (bailleur) était présent"))
    household_present = BooleanField(_l("Le ménage était présent"))
    rent_paid_regularly = SelectField(
        _l("Le loyer est payé régulièrement"),
        choices=yes_no_choices(),
        validators=[Optional()],
        description=_l("Au vu du relevé des loyers ci-dessus."),
    )
    rent_regularity_justification = TextAreaField(
        _l("Pourquoi le loyer est-il régulier malgré le relevé ?"),
        validators=[max_length(1000)],
        description=_l(
            "Obligatoire pour répondre « Oui » quand le relevé montre des impayés, un reste "
            "dû ou des mois non renseignés. Sans nom ni information de santé."
        ),
    )
    budget_assessment = SelectField(
        _l("Budget"),
        choices=assessment_choices(BudgetAssessment),
        validators=[Optional()],
    )
    support_assessment = SelectField(
        _l("Accompagnement après la mesure"),
        choices=assessment_choices(SupportAssessment),
        validators=[Optional()],
    )
    household_wish = SelectField(
        _l("Souhait du ménage"),
        choices=assessment_choices(HouseholdWish),
        validators=[Optional()],
    )
    stabilisation_notes = TextAreaField(
        _l("Observations sur la stabilisation"),
        validators=[max_length(1000)],
        description=NO_NAMES,
    )
    early_slide_justification = TextAreaField(
        _l("Pourquoi un glissement avant 6 mois ?"),
        validators=[max_length(1000)],
        description=_l(
            "Obligatoire si le bail glisse avant 6 mois de sous-location ; le glissement "
            "anticipé est signalé dans le rapport d'activité. Sans nom ni information de santé."
        ),
    )
    outcome = RadioField(_l("Suite donnée à la mesure"), validate_choice=False)
    next_date = FrenchDateField(
        _l("Nouvelle date de décision (prolongation)"),
        validators=[RequiredWhen(_l("pour une prolongation"))],
    )
    end_reason = SelectField(
        _l("Motif de fin de mesure"),
        validate_choice=False,
        validators=[RequiredWhen(_l("pour une fin de mesure"))],
    )
    summary = TextAreaField(
        _l("Synthèse du bilan"),
        validators=[max_length(3000)],
        description=_l(
            "Elle figure sur la fiche-bilan adressée aux services de l'État : aucun nom, aucune "
            "information de santé ; le ménage est désigné par sa référence."
        ),
    )
    submit = SubmitField(_l("Enregistrer le bilan"))

    def __init__(self, *args, bilan: Bilan, outcomes: tuple[BilanOutcome, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.bilan = bilan
        self.allowed = outcomes
        self.outcome.choices = choices((o.value, o.label) for o in outcomes)
        self.end_reason.choices = choices(
            [("", _("— Choisir —")), *((r.value, r.label) for r in MeasureEndReason)]
        )

    def validate_outcome(self, field):
        if not self.allowed:
            field.data = None
            return
        if not field.data:
            raise ValidationError(_("Choisissez la suite donnée à la mesure."))
        if field.data not in {o.value for o in self.allowed}:
            raise ValidationError(_("Choisissez une des suites proposées."))

    def validate_next_date(self, field):
        if self.outcome.data == BilanOutcome.PROLONGATION.value and not field.data:
            raise ValidationError(_("Indiquez la date de la nouvelle décision."))

    def validate_end_reason(self, field):
        if field.data and field.data not in {r.value for r in MeasureEndReason}:
            raise ValidationError(_("Choisissez un motif de la liste."))
        if self.outcome.data == BilanOutcome.FIN_DE_MESURE.value and not field.data:
            raise ValidationError(_("Indiquez le motif de fin de mesure."))

    def data_for_service(self) -> dict:
        outcome = BilanOutcome(self.outcome.data) if self.allowed and self.outcome.data else None
        return {
            "held_on": self.held_on.data,
            "landlord_present": self.landlord_present.data,
            "household_present": self.household_present.data,
            "rent_paid_regularly": yes_no(self.rent_paid_regularly.data),
            "rent_regularity_justification": self.rent_regularity_justification.data or "",
            "budget_assessment": assessment(BudgetAssessment, self.budget_assessment.data),
            "support_assessment": assessment(SupportAssessment, self.support_assessment.data),
            "household_wish": assessment(HouseholdWish, self.household_wish.data),
            "stabilisation_notes": self.stabilisation_notes.data or "",
            "early_slide_justification": self.early_slide_justification.data or "",
            "outcome": outcome,
            "next_date": self.next_date.data if outcome == BilanOutcome.PROLONGATION else None,
            "end_reason": MeasureEndReason(self.end_reason.data)
            if outcome == BilanOutcome.FIN_DE_MESURE
            else None,
            "summary": self.summary.data or "",
        }


class RentForm(BaseForm):
    month = FrenchMonthField(
        _l("Mois"),
        validators=[InputRequired(_l("Indiquez le mois ainsi : 12/2026."))],
    )
    status = RadioField(
        _l("Paiement"),
        choices=choices((s.value, s.label) for s in RentStatus),
        validators=[InputRequired(_l("Indiquez si le loyer a été payé."))],
    )
    amount_due = FrenchDecimalField(
        invalid=BAD_AMOUNT,
        label=_l("Montant dû (€)"),
        validators=[Optional(), MONEY_RANGE],
        description=_l("Par défaut, la part mensuelle du ménage."),
    )
    amount_paid = FrenchDecimalField(
        invalid=BAD_AMOUNT,
        label=_l("Montant payé (€)"),
        validators=[Optional(), MONEY_RANGE],
        description=_l("Par défaut : le montant dû s'il est payé, 0 s'il est impayé."),
    )
    submit = SubmitField(_l("Enregistrer le mois"))


class PointForm(BaseForm):
    day = FrenchDateField(_l("Date"), validators=[InputRequired(BAD_DATE)])
    time = TimeField(
        _l("Heure"),
        format="%H:%M",
        validators=[InputRequired(_l("Indiquez une heure valide (hh:mm)."))],
        description=_l("Heure de Paris."),
    )
    location = text_field(_l("Lieu"), 250, description=_l("Par exemple : au logement, ou au CCAS."))
    submit = SubmitField(_l("Programmer le point de situation"))


class MeasureFilterForm(BaseForm):
    """The measures list: filters (GET, no CSRF)."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Statut"),
        choices=choices(
            [("", _l("En cours ou prolongées")), ("all", _l("Toutes"))]
            + [(s.value, s.label) for s in MeasureStatus]
        ),
        validators=[Optional()],
    )
    programme = SelectField(_l("Programme"), coerce=optional_int, validators=[Optional()])
    bilan = SelectField(
        _l("Bilan"),
        choices=choices(
            [
                ("", _l("Tous")),
                ("soon", _l("Bilan dans les 14 jours")),
                ("overdue", _l("Bilan en retard")),
            ]
        ),
        validators=[Optional()],
    )

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme.choices = choices([("", _("Tous")), *((p.id, p.name) for p in programmes)])
