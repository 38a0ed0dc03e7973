"""The money of the yearly report, and what the coordinator writes into a year (issue 21).

A programme of 2017 like the field report's budget: the State's BOP 22 000 €, a grant of
5 000 €, and the households' contributions read from the monthly rent record. Every amount
is computed by hand below.
"""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import (
    Accommodation,
    AuditAction,
    Candidacy,
    CandidacyStatus,
    Commune,
    FundingLine,
    Household,
    HouseholdPublic,
    Measure,
    MeasureStatus,
    OrganisationKind,
    Programme,
    RentRecord,
    RentStatus,
    Typology,
    Unit,
    YearAnalysis,
)
from portal.reports.finance import build_finance, disclosed
from portal.reports.scope import make_scope
from tests.conftest import sign_in
from tests.support import audit_events, csrf_token, form_errors, tagged_pdf_text

YEAR = 2025


def measure(world, programme, unit, n, start, *, end=None, rent="400", charges="50"):
    household = Household(
        reference=f"FIN-{n}",
        organisation=world.ccas,
        public=HouseholdPublic.HOMME_SEUL,
        accommodation=Accommodation.CHRS_URGENCE,
    )
    made = Measure(
        candidacy=Candidacy(
            household=household,
            programme=programme,
            organisation=world.ccas,
            siao=world.siao,
            status=CandidacyStatus.HOUSED,
            requested_typology=Typology.T1,
        ),
        programme=programme,
        unit=unit,
        household=household,
        organisation=world.ccas,
        start_date=start,
        end_date=end,
        status=MeasureStatus.SLID if end else MeasureStatus.ACTIVE,
        rent=Decimal(rent),
        charges=Decimal(charges),
        household_share=Decimal("150"),
    )
    db.session.add(made)
    return made


def rent(measure_, month, due, paid, status=RentStatus.PAID):
    measure_.rent_records.append(
        RentRecord(month=month, amount_due=Decimal(due), amount_paid=Decimal(paid), status=status)
    )


@pytest.fixture
def budget(world, territory, make_org):
    landlord = make_org(OrganisationKind.BAILLEUR_SOCIAL, "Finistère Habitat")
    commune = Commune(territory=territory, name="Concarneau")
    programme = Programme(territory=territory, name="IML sortie de structures", capacity=10)
    other = Programme(territory=territory, name="IML DALO", capacity=5)

    def unit():
        return Unit(
            commune=commune,
            address="1 rue du Port",
            typology=Typology.T1,
            surface=Decimal(30),
            rent=Decimal(400),
            social_landlord=landlord,
        )

    # Open all year: 12 × (400 + 50) = 5 400,00.
    m1 = measure(world, programme, unit(), 1, date(2024, 6, 1))
    # From 16 April (inclusive): 15 days of 30 in April, then May–December (8 months):
    # 450 × 15/30 + 450 × 8 = 225 + 3 600 = 3 825,00.
    m2 = measure(world, programme, unit(), 2, date(2025, 4, 16))
    # Slid on 11 March: 1 January – 10 March: 2 months + 10 days of 31 at 310 + 0:
    # 620 + 100 = 720,00.
    m3 = measure(
        world,
        programme,
        unit(),
        3,
        date(2024, 1, 1),
        end=date(2025, 3, 11),
        rent="310",
        charges="0",
    )
    # Another programme, and years outside 2025: not counted.
    measure(world, other, unit(), 4, date(2025, 1, 1))
    measure(world, programme, unit(), 5, date(2022, 1, 1), end=date(2023, 1, 1))
    # Rent record: m1 paid 150 × 11 in 2025, 100 of 150 in March (arrears 50), December
    # 2024 not counted; m2: May paid, June unpaid (arrears 150).
    for month in range(1, 13):
        if month == 3:
            rent(m1, date(YEAR, 3, 1), "150", "100", RentStatus.LATE)
        else:
            rent(m1, date(YEAR, month, 1), "150", "150")
    rent(m1, date(2024, 12, 1), "150", "0", RentStatus.UNPAID)
    rent(m2, date(YEAR, 5, 1), "150", "150")
    rent(m2, date(YEAR, 6, 1), "150", "0", RentStatus.UNPAID)
    rent(m3, date(YEAR, 1, 1), "120", "120")
    db.session.add_all(
        [
            FundingLine(programme=programme, year=YEAR, source="BOP 177 – État", amount=22000),
            FundingLine(
                programme=programme, year=YEAR, source="Bourse aux initiatives", amount=5000
            ),
            FundingLine(programme=programme, year=2024, source="BOP 177 – État", amount=18000),
            FundingLine(programme=other, year=YEAR, source="Département", amount=3000),
        ]
    )
    db.session.commit()
    return programme, other


def finance_for(territory, programmes, today=date(2026, 6, 1)):
    scope = make_scope(YEAR, programmes, {territory.id})
    return build_finance(scope, scope.reference_day(today))


def test_finance_against_the_hand_computed_budget(budget, territory):
    programme, other = budget
    finance = finance_for(territory, [programme])
    (p,) = finance.programmes
    assert finance.total is None
    assert p.measures == 3
    assert p.landlords_paid == Decimal("5400.00") + Decimal("3825.00") + Decimal("720.00")
    # Due: m1 12 × 150, m2 2 × 150, m3 120 = 2 220; paid: m1 11 × 150 + 100, m2 150, m3 120
    # = 1 750 + 150 + 120 = 2 020.
    assert (p.contributions_due, p.contributions_paid) == (Decimal("2220.00"), Decimal("2020.00"))
    assert (p.arrears, p.measures_in_arrears) == (Decimal("150.00") + Decimal("50.00"), 2)
    # Funding: 22 000 + 5 000 + 2 020 = 29 020: 75,81 %, 17,23 %, 6,96 %.
    lines = [(f.source, f.amount, f.share, f.computed) for f in p.funding]
    assert lines == [
        ("BOP 177 – État", Decimal("22000.00"), Decimal("75.81"), False),
        ("Bourse aux initiatives", Decimal("5000.00"), Decimal("17.23"), False),
        (
            "Participation des ménages au loyer et aux charges (relevé mensuel)",
            Decimal("2020.00"),
            Decimal("6.96"),
            True,
        ),
    ]
    assert p.funding_total == Decimal("29020.00")


def test_the_field_report_s_shares():
    """The field report's 2017 budget: 22 000, 36 970 and 5 000 € are 34,39 %, 57,79 % and
    7,82 % of 63 970 €."""
    from portal.reports.finance import Funding, shares

    lines = shares(
        [
            Funding("BOP", Decimal(22000), None),
            Funding("Usagers", Decimal(36970), None, True),
            Funding("Bourse", Decimal(5000), None),
        ]
    )
    assert [f.share for f in lines] == [Decimal("34.39"), Decimal("57.79"), Decimal("7.82")]


def test_all_programmes_together_and_the_current_year_up_to_today(budget, territory):
    programme, other = budget
    finance = finance_for(territory, [programme, other])
    assert [p.name for p in finance.programmes] == ["IML DALO", "IML sortie de structures"]
    dalo = finance.programmes[0]
    assert dalo.landlords_paid == Decimal("5400.00")  # 12 × 450
    total = finance.total
    assert total.landlords_paid == Decimal("5400.00") + Decimal("9945.00")
    assert [(f.source, f.amount) for f in total.funding][-1][1] == Decimal("2020.00")
    assert sum(f.amount for f in total.funding) == Decimal("32020.00")
    # On 15 March 2025, the year so far: m1 2 months and 15 days of 31 at 450.
    (p,) = finance_for(territory, [programme], today=date(2025, 3, 15)).programmes
    m1 = Decimal(900) + Decimal(450) * 15 / 31
    m3 = Decimal(620) + Decimal(100)
    assert p.landlords_paid == (m1 + m3).quantize(Decimal("0.01"))


def test_the_protected_version_gives_no_amount_over_fewer_than_five_measures(budget, territory):
    programme, other = budget
    finance = finance_for(territory, [programme, other])
    exact = disclosed(finance, protected=False)
    assert all(d.amounts and d.arrears for d in exact)
    protected = disclosed(finance, protected=True)
    assert not any(d.amounts or d.arrears for d in protected)  # 1 and 3 measures; the total too


def test_the_report_shows_the_budget_and_the_analysis(client, world, budget):
    programme, _other = budget
    db.session.add(
        YearAnalysis(
            programme=programme,
            year=YEAR,
            difficulties="Mobiliser les bailleurs privés.",
            levers="Instances de proximité.",
            perspectives="Étendre à l'agglomération.",
        )
    )
    db.session.commit()
    sign_in(client, world.coordinator)
    page = client.get(f"/reports/activity?year={YEAR}&programme={programme.id}").get_data(
        as_text=True
    )
    assert "22\u202f000,00\u00a0€" in page and "75,81\u00a0%" in page
    assert "9\u202f945,00\u00a0€" in page
    assert "Mobiliser les bailleurs privés." in page and "Étendre à l&#39;agglomération." in page
    response = client.get(f"/reports/activity.pdf?year={YEAR}&programme={programme.id}")
    text = tagged_pdf_text(response.data, "Rapport d'activité 2025")
    assert "Instances de proximité." in text and "BOP 177" in text
    response = client.get(
        f"/reports/activity.pdf?year={YEAR}&programme={programme.id}&audience=protected"
    )
    text = tagged_pdf_text(response.data, "Rapport d'activité 2025")
    assert "Instances de proximité." in text and "22 000,00" in text.replace("\u202f", " ")
    assert "9 945,00" not in text.replace("\u202f", " ")


# What the coordinator types -----------------------------------------------------------------


def test_the_coordinator_adds_and_removes_funding_lines(client, world, budget):
    programme, _other = budget
    sign_in(client, world.coordinator)
    page = client.get(f"/reports/year/{YEAR}").get_data(as_text=True)
    assert "BOP 177 – État" in page and "Bourse aux initiatives" in page
    token = csrf_token(page)
    response = client.post(
        f"/reports/year/{YEAR}/funding",
        data={
            "csrf_token": token,
            "programme_id": programme.id,
            "source": "Ville de Concarneau",
            "amount": "1 500,50",
        },
    )
    assert response.status_code == 302
    line = db.session.scalar(
        sa.select(FundingLine).where(FundingLine.source == "Ville de Concarneau")
    )
    assert (line.amount, line.year, line.programme_id) == (Decimal("1500.50"), YEAR, programme.id)
    assert audit_events(AuditAction.CREATE, "funding_line")
    # Bad input: French messages, what was typed kept, nothing added.
    before = db.session.scalar(sa.select(sa.func.count(FundingLine.id)))
    response = client.post(
        f"/reports/year/{YEAR}/funding",
        data={"csrf_token": token, "programme_id": "999999", "source": "", "amount": "beaucoup"},
    )
    assert response.status_code == 400
    errors = form_errors(response.get_data(as_text=True))
    assert any("montant en euros" in e for e in errors)
    assert any("programme" in e for e in errors)
    assert 'value="beaucoup"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(FundingLine.id))) == before
    response = client.post(
        f"/reports/year/{YEAR}/funding/{line.id}/delete", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert db.session.get(FundingLine, line.id) is None
    # A year outside the report's years, another year's line: not found.
    assert client.get("/reports/year/1999").status_code == 404
    old = db.session.scalar(sa.select(FundingLine).where(FundingLine.year == 2024))
    assert client.post(f"/reports/year/{YEAR}/funding/{old.id}/delete").status_code == 404


def test_the_coordinator_writes_the_year_s_analysis(client, world, budget):
    programme, _other = budget
    sign_in(client, world.coordinator)
    token = csrf_token(client.get(f"/reports/year/{YEAR}").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "programme_id": programme.id,
        "difficulties": "Peu de petits logements.",
        "levers": "Conventions avec deux bailleurs.",
        "perspectives": "",
    }
    assert client.post(f"/reports/year/{YEAR}/analysis", data=data).status_code == 302
    data["perspectives"] = "Un support de communication pour les ménages."
    assert client.post(f"/reports/year/{YEAR}/analysis", data=data).status_code == 302
    (analysis,) = db.session.scalars(sa.select(YearAnalysis)).all()
    assert analysis.perspectives == "Un support de communication pour les ménages."
    page = client.get(f"/reports/year/{YEAR}?programme={programme.id}").get_data(as_text=True)
    assert "Peu de petits logements." in page
    response = client.post(f"/reports/year/{YEAR}/analysis", data={**data, "levers": "x" * 4001})
    assert response.status_code == 400
    db.session.refresh(analysis)
    assert analysis.levers == "Conventions avec deux bailleurs."


def test_only_the_coordinator_writes_into_a_year(client, world, budget):
    sign_in(client, world.ccas_worker)
    assert client.get(f"/reports/year/{YEAR}").status_code == 403
    assert client.post(f"/reports/year/{YEAR}/analysis", data={}).status_code == 403
