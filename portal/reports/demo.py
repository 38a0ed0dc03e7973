"""Demo: the funding of « IML sortie de structures » for the current year, as in the field
report's budget (the State's BOP and the grant of the Bourse aux initiatives; the
households' contributions come from the rent record), and last year's written analysis."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from portal.extensions import db
from portal.models import FundingLine, Programme, YearAnalysis

FUNDING = (
    ("BOP 177 – État (DDETS du Finistère)", Decimal("22000")),
    ("Bourse aux initiatives Logement/hébergement (UNCCAS, AG2R La Mondiale)", Decimal("5000")),
)


def load_demo_report_entries(data: dict) -> None:
    """Funding lines for this year and last, and last year's analysis (flushes)."""
    programme = db.session.scalar(
        sa.select(Programme).where(
            Programme.territory_id == data["territory"].id,
            Programme.name == "IML sortie de structures",
        )
    )
    if programme is None:
        return
    this_year = date.today().year
    for year in (this_year - 1, this_year):
        for source, amount in FUNDING:
            db.session.add(
                FundingLine(programme=programme, year=year, source=source, amount=amount)
            )
    db.session.add(
        YearAnalysis(
            programme=programme,
            year=this_year - 1,
            difficulties=(
                "Mobiliser les bailleurs : ils ont besoin d'être rassurés sur l'accompagnement "
                "social des ménages.\nFaire comprendre le dispositif aux ménages, qui en "
                "saisissent difficilement le sens."
            ),
            levers=(
                "Un comité technique avec les bailleurs et les partenaires sociaux pour "
                "étudier les situations.\nLa présence des travailleurs sociaux du CCAS, à "
                "l'écoute des ménages et des bailleurs."
            ),
            perspectives=(
                "Développer l'intermédiation locative avec les propriétaires privés et sur "
                "les autres communes de l'agglomération ; un support de communication pour "
                "les ménages."
            ),
        )
    )
    db.session.flush()
