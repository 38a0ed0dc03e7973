"""The landlords' rules, at every boundary: pure computation, no database."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from portal.owners import rules as R

RULES = R.default_rules()


@pytest.mark.parametrize(
    ("dpe", "ban"), [("G", date(2025, 1, 1)), ("F", date(2028, 1, 1)), ("E", date(2034, 1, 1))]
)
def test_a_dpe_class_is_banned_from_its_date_not_the_day_before(dpe, ban):
    assert not R.dpe_banned(dpe, ban - timedelta(days=1), RULES)
    assert R.dpe_banned(dpe, ban, RULES)
    before = R.checks(R.UnitFacts(dpe_class=dpe, lease_date=ban - timedelta(days=1)), RULES)
    on = R.checks(R.UnitFacts(dpe_class=dpe, lease_date=ban), RULES)
    assert "dpe_banned" not in {c.code for c in before}
    assert "dpe_future_ban" in {c.code for c in before}
    banned = [c for c in on if c.code == "dpe_banned"]
    assert banned and banned[0].severity == R.BLOCK
    assert "Climat et résilience" in banned[0].source


@pytest.mark.parametrize("dpe", ["A", "B", "C", "D"])
def test_good_classes_are_never_banned(dpe):
    assert not R.dpe_banned(dpe, date(2099, 1, 1), RULES)


def test_an_unknown_dpe_is_a_warning_not_a_block():
    found = R.checks(R.UnitFacts(lease_date=date(2026, 1, 1)), RULES)
    assert [c.code for c in found] == ["dpe_unknown"]
    assert not R.is_blocked(found)


def test_furnished_units_are_blocked_with_their_source():
    found = R.checks(R.UnitFacts(dpe_class="C", furnished=True), RULES)
    assert [(c.code, c.severity) for c in found] == [("furnished", R.BLOCK)]
    assert "199 tricies" in found[0].source


def test_f_and_g_are_excluded_from_loc_avantages():
    found = R.checks(R.UnitFacts(dpe_class="F", lease_date=date(2026, 6, 1)), RULES)
    assert "dpe_locavantages" in {c.code for c in found}
    result = R.simulate(
        R.UnitFacts(surface=D("30"), rent=D("300"), dpe_class="F", lease_date=date(2026, 6, 1)),
        RULES,
        R.Assumptions(),
    )
    assert all(lvl.yearly_reduction == 0 and lvl.bonus_sublease == 0 for lvl in result.levels)


@pytest.mark.parametrize(
    ("surface", "height", "decent"),
    [
        (D("9"), D("2.20"), True),  # both minimums exactly
        (D("8.99"), D("2.20"), False),  # 19.78 m³: under 20 m³ too
        (D("9"), D("2.19"), False),  # 19.71 m³
        (D("8"), D("2.50"), True),  # 20 m³ exactly: the volume rule saves it
        (D("8"), D("2.49"), False),  # 19.92 m³
        (D("10"), D("2.00"), True),  # 20 m³ under a low ceiling
        (D("9.99"), D("2.00"), False),  # 19.98 m³
    ],
)
def test_decency_minimums_9_m2_under_2_20_m_or_20_m3(surface, height, decent):
    assert R.decent_main_room(surface, height, RULES) is decent
    found = R.checks(
        R.UnitFacts(dpe_class="C", main_room_surface=surface, ceiling_height=height), RULES
    )
    assert ("decency" in {c.code for c in found}) is not decent


@pytest.mark.parametrize(
    ("surface", "sublease", "mandate"),
    [(D("40"), D("2000"), D("3000")), (D("40.01"), D("1000"), D("2000"))],
)
def test_iml_bonus_small_unit_boundary_at_40_m2(surface, sublease, mandate):
    for level in (2, 3):
        assert R.iml_bonus(level, "sublease", surface, RULES) == sublease
        assert R.iml_bonus(level, "mandate", surface, RULES) == mandate
    assert R.iml_bonus(1, "mandate", surface, RULES) == 0


def test_tax_reduction_rates_20_40_65_percent_of_gross_rent():
    assert R.tax_reduction(1, D("6000"), RULES) == D("1200.00")
    assert R.tax_reduction(2, D("6000"), RULES) == D("2400.00")
    assert R.tax_reduction(3, D("6000"), RULES) == D("3900.00")


def test_ceilings_are_per_m2_times_surface_and_marked_as_examples_by_default():
    assert R.ceiling_rent(1, D("50"), RULES) == D("467.50")
    assert RULES.ceilings[1].is_example


def test_agency_fees_above_the_cap_are_a_warning():
    cap = R.agency_fee_cap(D("30"), RULES)
    assert cap == D("330.00")
    at_cap = R.checks(R.UnitFacts(dpe_class="C", surface=D("30"), agency_fees=cap), RULES)
    above = R.checks(
        R.UnitFacts(dpe_class="C", surface=D("30"), agency_fees=cap + D("0.01")), RULES
    )
    assert "agency_fees" not in {c.code for c in at_cap}
    assert [c.severity for c in above if c.code == "agency_fees"] == [R.WARNING]


def test_three_year_comparison_counts_vacancy_unpaid_and_fees():
    facts = R.UnitFacts(
        surface=D("40"),
        rent=D("400"),
        dpe_class="C",
        agency_fees=D("500"),
        lease_date=date(2026, 1, 1),
    )
    result = R.simulate(facts, RULES, R.Assumptions(D("1"), D("5")))
    assert result.alone_rent == D("14400.00")
    assert result.alone_vacancy == D("1200.00")
    assert result.alone_unpaid == D("660.00")  # 5 % of 13 200
    assert result.alone_three_years == D("12040.00")
    loc2 = result.levels[1]
    assert loc2.ceiling == D("308.00") and loc2.rent == D("308.00") and loc2.above_ceiling
    # 308 × 36 + 40 % × 308 × 12 × 3 + bonus 2 000 (40 m²: small)
    assert loc2.three_years == D("11088.00") + D("4435.20") + D("2000.00")


def test_overridden_rules_are_used():
    rules = R.RuleSet(
        {**RULES.rules, "dpe_ban_G": R.Rule("dpe_ban_G", date(2030, 1, 1), "x", date(2026, 1, 1))}
    ).with_ceilings({})
    assert not R.dpe_banned("G", date(2029, 12, 31), rules)


@pytest.mark.parametrize("raw", ["abc", "-1", "NaN", "Infinity"])
def test_parse_value_refuses_what_is_not_a_positive_number(raw):
    with pytest.raises((ValueError, ArithmeticError)):
        R.parse_value("loc1_discount", raw)
