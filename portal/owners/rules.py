"""The rules a private owner's unit must meet, and what the scheme brings the owner.

Pure computation, no database: money is Decimal, every figure comes from a ``RuleSet``
whose values carry their source and date of effect. The built-in defaults below are the
values of DESIGN §4; rows of ``RuleParameter`` / ``CommuneCeiling`` override them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from portal.i18n import _l

CENT = Decimal("0.01")
LEVELS = (1, 2, 3)
SCHEMES = ("sublease", "mandate")
BLOCK = "block"
WARNING = "warning"

SRC_DECENCY = _l("Décret n° 2002-120 du 30 janvier 2002 (logement décent), art. 4 — Légifrance")
SRC_CLIMATE = _l(
    "Loi n° 2021-1104 du 22 août 2021 « Climat et résilience », art. 160 ; "
    "loi n° 89-462, art. 6 — Légifrance"
)
SRC_LOCAVANTAGES = _l(
    "CGI art. 199 tricies ; décret n° 2022-33 du 18 janvier 2022 (Loc'Avantages) — Légifrance"
)
SRC_IML_BONUS = _l(
    "Décret n° 2022-33 et arrêté du 21 janvier 2022 (prime d'intermédiation locative)"
)
SRC_FEES = _l("Loi n° 89-462, art. 5 ; décret n° 2014-890 du 1er août 2014 — Légifrance")
SRC_FURNISHED = _l("Convention Loc'Avantages : logement loué nu (CGI art. 199 tricies)")
SRC_SCHEME_LEVEL = _l(
    "Choix du dispositif local : le CCAS loue au niveau Loc'Avantages retenu ici (Loc2 et "
    "Loc3 ouvrent droit à la prime d'intermédiation locative, décret n° 2022-33)"
)
SRC_SCHEME_CHARGES = _l(
    "Paramètre du CCAS : valeur d'exemple, à fixer par la coordination selon ce que les "
    "ménages accompagnés peuvent payer"
)
SRC_SCHEME_FEES = _l(
    "Convention entre le CCAS et le propriétaire : aucun frais d'agence ni de mise en "
    "location n'est dû par le propriétaire"
)
SRC_CEILING_EXAMPLE = _l(
    "Exemple indicatif : à remplacer par les plafonds de l'année publiés par l'Anah"
)


@dataclass(frozen=True)
class Rule:
    key: str
    value: Decimal | date
    source: str
    effective_from: date
    label: str = ""
    is_example: bool = False


def _r(key, value, source, effective_from, label) -> Rule:
    return Rule(key, value, source, effective_from, label)


D = Decimal
DEFAULT_RULES: tuple[Rule, ...] = (
    _r("dpe_ban_G", date(2025, 1, 1), SRC_CLIMATE, date(2021, 8, 24), _l("Interdiction DPE G")),
    _r("dpe_ban_F", date(2028, 1, 1), SRC_CLIMATE, date(2021, 8, 24), _l("Interdiction DPE F")),
    _r("dpe_ban_E", date(2034, 1, 1), SRC_CLIMATE, date(2021, 8, 24), _l("Interdiction DPE E")),
    _r(
        "decency_min_surface",
        D("9"),
        SRC_DECENCY,
        date(2002, 1, 31),
        _l("Surface minimale de la pièce principale (m²)"),
    ),
    _r(
        "decency_min_height",
        D("2.20"),
        SRC_DECENCY,
        date(2002, 1, 31),
        _l("Hauteur sous plafond minimale (m)"),
    ),
    _r(
        "decency_min_volume",
        D("20"),
        SRC_DECENCY,
        date(2002, 1, 31),
        _l("Volume minimal de la pièce principale (m³)"),
    ),
    _r("loc1_discount", D("15"), SRC_LOCAVANTAGES, date(2022, 3, 1), _l("Décote Loc1 (%)")),
    _r("loc2_discount", D("30"), SRC_LOCAVANTAGES, date(2022, 3, 1), _l("Décote Loc2 (%)")),
    _r("loc3_discount", D("45"), SRC_LOCAVANTAGES, date(2022, 3, 1), _l("Décote Loc3 (%)")),
    _r(
        "loc1_reduction",
        D("20"),
        SRC_LOCAVANTAGES,
        date(2022, 3, 1),
        _l("Réduction d'impôt Loc1 avec intermédiation (%)"),
    ),
    _r(
        "loc2_reduction",
        D("40"),
        SRC_LOCAVANTAGES,
        date(2022, 3, 1),
        _l("Réduction d'impôt Loc2 avec intermédiation (%)"),
    ),
    _r(
        "loc3_reduction",
        D("65"),
        SRC_LOCAVANTAGES,
        date(2022, 3, 1),
        _l("Réduction d'impôt Loc3 avec intermédiation (%)"),
    ),
    _r(
        "iml_bonus_sublease",
        D("1000"),
        SRC_IML_BONUS,
        date(2022, 3, 1),
        _l("Prime IML en location / sous-location (€)"),
    ),
    _r(
        "iml_bonus_mandate",
        D("2000"),
        SRC_IML_BONUS,
        date(2022, 3, 1),
        _l("Prime IML en mandat de gestion (€)"),
    ),
    _r(
        "iml_bonus_small",
        D("1000"),
        SRC_IML_BONUS,
        date(2022, 3, 1),
        _l("Majoration de la prime pour un petit logement (€)"),
    ),
    _r(
        "iml_bonus_small_max_surface",
        D("40"),
        SRC_IML_BONUS,
        date(2022, 3, 1),
        _l("Surface maximale d'un petit logement (m²)"),
    ),
    _r(
        "agency_fee_cap",
        D("8"),
        SRC_FEES,
        date(2014, 9, 15),
        _l("Plafond des frais d'agence du locataire, hors zone tendue (€/m²)"),
    ),
    _r(
        "agency_fee_inventory_cap",
        D("3"),
        SRC_FEES,
        date(2014, 9, 15),
        _l("Plafond des frais d'état des lieux du locataire (€/m²)"),
    ),
    _r(
        "scheme_level",
        D("2"),
        SRC_SCHEME_LEVEL,
        date(2022, 3, 1),
        _l("Niveau Loc'Avantages retenu par le dispositif (1, 2 ou 3)"),
    ),
    _r(
        "scheme_charges_per_m2",
        D("2.50"),
        SRC_SCHEME_CHARGES,
        date(2026, 1, 1),
        _l("Charges mensuelles que le dispositif peut porter (€/m²)"),
    ),
)
DATE_KEYS = frozenset({"dpe_ban_G", "dpe_ban_F", "dpe_ban_E"})
RULE_KEYS = tuple(rule.key for rule in DEFAULT_RULES)

# Used for a commune whose ceilings nobody has entered yet: an example, said so.
DEFAULT_CEILINGS: dict[int, Rule] = {
    level: Rule(f"ceiling_loc{level}", value, SRC_CEILING_EXAMPLE, date(2026, 1, 1), "", True)
    for level, value in ((1, D("9.35")), (2, D("7.70")), (3, D("6.05")))
}


def parse_value(key: str, raw: str) -> Decimal | date:
    """A stored or typed value, as the key's type; ValueError when it is not one."""
    if key in DATE_KEYS:
        return date.fromisoformat(raw)
    value = Decimal(raw.replace(",", ".").strip())
    if not value.is_finite() or value < 0:
        raise ValueError(raw)
    if key == "scheme_level" and value not in LEVELS:
        raise ValueError(raw)
    return value


@dataclass(frozen=True)
class RuleSet:
    rules: dict[str, Rule] = field(default_factory=dict)
    ceilings: dict[int, Rule] = field(default_factory=dict)  # for one commune

    def __getitem__(self, key: str):
        return self.rules[key].value

    def source(self, key: str) -> str:
        return str(self.rules[key].source)

    def with_ceilings(self, ceilings: dict[int, Rule]) -> RuleSet:
        return replace(self, ceilings={**DEFAULT_CEILINGS, **ceilings})


def default_rules() -> RuleSet:
    return RuleSet({rule.key: rule for rule in DEFAULT_RULES}, dict(DEFAULT_CEILINGS))


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# Checks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    code: str
    severity: str  # BLOCK or WARNING
    message: str
    source: str


def dpe_ban_date(dpe_class: str | None, rules: RuleSet) -> date | None:
    """From when a new lease is forbidden for this class (G, F, E); None otherwise."""
    key = f"dpe_ban_{dpe_class}"
    return rules[key] if dpe_class and key in rules.rules else None


def dpe_banned(dpe_class: str | None, on: date, rules: RuleSet) -> bool:
    ban = dpe_ban_date(dpe_class, rules)
    return ban is not None and on >= ban


def decent_main_room(surface: Decimal, height: Decimal, rules: RuleSet) -> bool:
    """9 m² under at least 2.20 m, or else 20 m³ (décret 2002-120, art. 4)."""
    if surface >= rules["decency_min_surface"] and height >= rules["decency_min_height"]:
        return True
    return surface * height >= rules["decency_min_volume"]


def agency_fee_cap(surface: Decimal, rules: RuleSet) -> Decimal:
    return money((rules["agency_fee_cap"] + rules["agency_fee_inventory_cap"]) * surface)


@dataclass(frozen=True)
class UnitFacts:
    """What the simulator and the offer know of a unit (None: not given yet)."""

    surface: Decimal | None = None
    main_room_surface: Decimal | None = None
    ceiling_height: Decimal | None = None
    rent: Decimal | None = None
    charges: Decimal | None = None
    dpe_class: str | None = None
    furnished: bool = False
    agency_fees: Decimal | None = None
    lease_date: date | None = None


def checks(facts: UnitFacts, rules: RuleSet) -> list[Check]:
    """Blocks (the unit cannot be let through the scheme) and warnings, with sources."""
    found: list[Check] = []
    on = facts.lease_date
    ban = dpe_ban_date(facts.dpe_class, rules)
    if facts.dpe_class is None:
        found.append(
            Check(
                "dpe_unknown",
                WARNING,
                str(_l("Classe DPE non indiquée : un DPE valide est obligatoire pour louer.")),
                str(SRC_CLIMATE),
            )
        )
    elif on is not None and ban is not None and dpe_banned(facts.dpe_class, on, rules):
        found.append(
            Check(
                "dpe_banned",
                BLOCK,
                str(
                    _l(
                        "Un logement classé %(dpe)s ne peut plus être mis en location "
                        "depuis le %(ban)s : des travaux de rénovation sont nécessaires.",
                        dpe=facts.dpe_class,
                        ban=ban.strftime("%d/%m/%Y"),
                    )
                ),
                rules.source(f"dpe_ban_{facts.dpe_class}"),
            )
        )
    elif ban is not None:
        found.append(
            Check(
                "dpe_future_ban",
                WARNING,
                str(
                    _l(
                        "Un logement classé %(dpe)s ne pourra plus être loué à partir du %(ban)s.",
                        dpe=facts.dpe_class,
                        ban=ban.strftime("%d/%m/%Y"),
                    )
                ),
                rules.source(f"dpe_ban_{facts.dpe_class}"),
            )
        )
    if facts.dpe_class in ("F", "G"):
        found.append(
            Check(
                "dpe_locavantages",
                WARNING,
                str(_l("Les logements classés F ou G sont exclus de Loc'Avantages.")),
                rules.source("loc1_reduction"),
            )
        )
    if facts.furnished:
        found.append(
            Check(
                "furnished",
                BLOCK,
                str(_l("Le dispositif ne porte que sur des logements loués nus (non meublés).")),
                str(SRC_FURNISHED),
            )
        )
    room, height = facts.main_room_surface, facts.ceiling_height
    if room is not None and height is not None and not decent_main_room(room, height, rules):
        found.append(
            Check(
                "decency",
                BLOCK,
                str(
                    _l(
                        "La pièce principale doit mesurer au moins %(surface)s m² avec "
                        "%(height)s m sous plafond, ou offrir %(volume)s m³.",
                        surface=rules["decency_min_surface"],
                        height=rules["decency_min_height"],
                        volume=rules["decency_min_volume"],
                    )
                ),
                rules.source("decency_min_surface"),
            )
        )
    if facts.agency_fees:
        found.append(
            Check(
                "agency_fees_not_needed",
                WARNING,
                str(
                    _l(
                        "Le dispositif ne demande aucun frais d'agence : le CCAS trouve le "
                        "ménage, signe le bail et gère la location sans frais pour vous."
                    )
                ),
                str(SRC_SCHEME_FEES),
            )
        )
    if facts.agency_fees is not None and facts.surface is not None:
        cap = agency_fee_cap(facts.surface, rules)
        if facts.agency_fees > cap:
            found.append(
                Check(
                    "agency_fees",
                    WARNING,
                    str(
                        _l(
                            "Des frais d'agence demandés au locataire ne peuvent dépasser "
                            "%(cap)s € pour cette surface.",
                            cap=cap,
                        )
                    ),
                    rules.source("agency_fee_cap"),
                )
            )
    return found


def is_blocked(found: list[Check]) -> bool:
    return any(c.severity == BLOCK for c in found)


# Loc'Avantages and the IML bonus -------------------------------------------------------------


def ceiling_rent(level: int, surface: Decimal, rules: RuleSet) -> Decimal:
    """The monthly rent ceiling (charges excluded) of a level for this surface."""
    # Ceilings are amounts: DEFAULT_CEILINGS and CommuneCeiling.eur_per_m2 are Decimals.
    return money(cast(Decimal, rules.ceilings[level].value) * surface)


def tax_reduction(level: int, annual_rent: Decimal, rules: RuleSet) -> Decimal:
    """Yearly tax reduction with intermédiation locative: a share of the gross rent."""
    return money(annual_rent * rules[f"loc{level}_reduction"] / 100)


def iml_bonus(level: int, scheme: str, surface: Decimal, rules: RuleSet) -> Decimal:
    """One-off bonus, Loc2 and Loc3 only: more in mandate, more again for a small unit."""
    if level not in (2, 3):
        return Decimal("0")
    amount = rules["iml_bonus_mandate" if scheme == "mandate" else "iml_bonus_sublease"]
    if surface <= rules["iml_bonus_small_max_surface"]:
        amount += rules["iml_bonus_small"]
    return money(amount)


@dataclass(frozen=True)
class LevelResult:
    level: int
    discount: Decimal
    ceiling_per_m2: Decimal
    ceiling: Decimal
    ceiling_is_example: bool
    ceiling_source: str
    rent: Decimal  # the rent the owner would get: theirs, capped by the ceiling
    above_ceiling: bool
    reduction_rate: Decimal
    yearly_reduction: Decimal
    bonus_sublease: Decimal
    bonus_mandate: Decimal
    three_years: Decimal  # net over 3 years through the CCAS (sublease)


@dataclass(frozen=True)
class Assumptions:
    vacancy_months_per_year: Decimal = Decimal("1")
    unpaid_rate: Decimal = Decimal("3")  # % of rent lost to unpaid rent when letting alone


@dataclass(frozen=True)
class Simulation:
    checks: list[Check]
    blocked: bool
    levels: list[LevelResult]
    alone_rent: Decimal
    alone_vacancy: Decimal
    alone_unpaid: Decimal
    alone_fees: Decimal
    alone_three_years: Decimal
    assumptions: Assumptions
    small_unit: bool


YEARS = 3


def simulate(facts: UnitFacts, rules: RuleSet, assumptions: Assumptions) -> Simulation:
    """Checks, ceilings, tax reduction and bonus per level, and 3 years alone vs with IML.

    Letting alone: the rent less the assumed empty months, unpaid rent and agency fees.
    Through the CCAS: the CCAS pays the rent (capped by the level's ceiling) every month,
    plus the tax reduction each year and the one-off bonus.
    """
    found = checks(facts, rules)
    surface = facts.surface or Decimal("0")
    rent = facts.rent or Decimal("0")
    months = 12 * YEARS
    alone_rent = money(rent * months)
    vacancy = money(rent * assumptions.vacancy_months_per_year * YEARS)
    unpaid = money((alone_rent - vacancy) * assumptions.unpaid_rate / 100)
    fees = money(facts.agency_fees or Decimal("0"))
    levels = []
    loc_excluded = facts.dpe_class in ("F", "G")
    for level in LEVELS:
        ceiling_rule = rules.ceilings[level]
        ceiling = ceiling_rent(level, surface, rules)
        level_rent = min(rent, ceiling)
        reduction = Decimal("0") if loc_excluded else tax_reduction(level, level_rent * 12, rules)
        bonus_sub = Decimal("0") if loc_excluded else iml_bonus(level, "sublease", surface, rules)
        bonus_man = Decimal("0") if loc_excluded else iml_bonus(level, "mandate", surface, rules)
        levels.append(
            LevelResult(
                level=level,
                discount=rules[f"loc{level}_discount"],
                ceiling_per_m2=cast(Decimal, ceiling_rule.value),  # see ceiling_rent
                ceiling=ceiling,
                ceiling_is_example=ceiling_rule.is_example,
                ceiling_source=str(ceiling_rule.source),
                rent=level_rent,
                above_ceiling=rent > ceiling,
                reduction_rate=rules[f"loc{level}_reduction"],
                yearly_reduction=reduction,
                bonus_sublease=bonus_sub,
                bonus_mandate=bonus_man,
                three_years=money(level_rent * months + reduction * YEARS + bonus_sub),
            )
        )
    return Simulation(
        checks=found,
        blocked=is_blocked(found),
        levels=levels,
        alone_rent=alone_rent,
        alone_vacancy=vacancy,
        alone_unpaid=unpaid,
        alone_fees=fees,
        alone_three_years=money(alone_rent - vacancy - unpaid - fees),
        assumptions=assumptions,
        small_unit=surface <= rules["iml_bonus_small_max_surface"] if surface else False,
    )


# The offer against the ceilings and what the scheme can carry -------------------------------


@dataclass(frozen=True)
class LevelGap:
    level: int
    ceiling: Decimal
    ceiling_per_m2: Decimal
    gap: Decimal  # the offer's rent less the ceiling: above it when positive
    yearly_reduction: Decimal
    bonus_sublease: Decimal
    three_years: Decimal
    is_scheme_level: bool


@dataclass(frozen=True)
class Comparison:
    """An offer's rent and charges against each level's ceiling and the scheme's limits."""

    rent: Decimal
    charges: Decimal
    surface: Decimal
    levels: list[LevelGap]
    scheme_level: int
    scheme_rent: Decimal  # the rent (charges excluded) the scheme can carry
    rent_gap: Decimal  # offer's rent less scheme_rent: positive means above
    charges_cap: Decimal
    charges_gap: Decimal
    agency_fees: Decimal | None
    ceilings_are_examples: bool
    ceiling_source: str

    @property
    def rent_above(self) -> bool:
        return self.rent_gap > 0

    @property
    def charges_above(self) -> bool:
        return self.charges_gap > 0

    @property
    def above_scheme(self) -> bool:
        return self.rent_above or self.charges_above


def scheme_level(rules: RuleSet) -> int:
    value = rules["scheme_level"]
    return int(value) if value in LEVELS else 2


def compare(facts: UnitFacts, rules: RuleSet) -> Comparison | None:
    """None until the rent and the surface are known (nothing to compare yet)."""
    if facts.rent is None or not facts.surface:
        return None
    simulation = simulate(facts, rules, Assumptions())
    chosen = scheme_level(rules)
    charges = facts.charges or Decimal("0")
    levels = [
        LevelGap(
            level=result.level,
            ceiling=result.ceiling,
            ceiling_per_m2=result.ceiling_per_m2,
            gap=money(facts.rent - result.ceiling),
            yearly_reduction=result.yearly_reduction,
            bonus_sublease=result.bonus_sublease,
            three_years=result.three_years,
            is_scheme_level=result.level == chosen,
        )
        for result in simulation.levels
    ]
    scheme_rent = ceiling_rent(chosen, facts.surface, rules)
    charges_cap = money(rules["scheme_charges_per_m2"] * facts.surface)
    return Comparison(
        rent=money(facts.rent),
        charges=money(charges),
        surface=facts.surface,
        levels=levels,
        scheme_level=chosen,
        scheme_rent=scheme_rent,
        rent_gap=money(facts.rent - scheme_rent),
        charges_cap=charges_cap,
        charges_gap=money(charges - charges_cap),
        agency_fees=facts.agency_fees,
        ceilings_are_examples=any(rules.ceilings[level].is_example for level in LEVELS),
        ceiling_source=str(rules.ceilings[chosen].source),
    )
