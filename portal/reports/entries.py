"""What the coordinator types into a year's report: funding lines and the written analysis.
Services add and flush; the view commits."""

from decimal import Decimal

import sqlalchemy as sa

from portal.audit import record_event
from portal.extensions import db
from portal.models import AuditAction, FundingLine, Programme, User, YearAnalysis


def funding_lines(programme_ids: list[int], year: int) -> list[FundingLine]:
    return list(
        db.session.scalars(
            sa.select(FundingLine)
            .where(FundingLine.programme_id.in_(programme_ids), FundingLine.year == year)
            .order_by(FundingLine.programme_id, FundingLine.id)
        )
    )


def add_funding_line(
    programme: Programme, year: int, source: str, amount: Decimal, actor: User
) -> FundingLine:
    line = FundingLine(
        programme=programme, year=year, source=source, amount=amount, created_by=actor
    )
    db.session.add(line)
    db.session.flush()
    record_event(
        AuditAction.CREATE,
        "funding_line",
        line.id,
        f"Financement {year} ajouté — {programme.name} : {source}",
        user=actor,
    )
    return line


def remove_funding_line(line: FundingLine, actor: User) -> None:
    record_event(
        AuditAction.DELETE,
        "funding_line",
        line.id,
        f"Financement {line.year} supprimé — {line.programme.name} : {line.source}",
        user=actor,
    )
    db.session.delete(line)
    db.session.flush()


def analyses(programme_ids: list[int], year: int) -> list[YearAnalysis]:
    return list(
        db.session.scalars(
            sa.select(YearAnalysis)
            .join(Programme, YearAnalysis.programme_id == Programme.id)
            .where(YearAnalysis.programme_id.in_(programme_ids), YearAnalysis.year == year)
            .order_by(Programme.name)
        )
    )


def analysis_for(programme: Programme, year: int) -> YearAnalysis | None:
    return db.session.scalar(
        sa.select(YearAnalysis).where(
            YearAnalysis.programme_id == programme.id, YearAnalysis.year == year
        )
    )


def save_analysis(programme: Programme, year: int, data: dict, actor: User) -> YearAnalysis:
    analysis = analysis_for(programme, year)
    if analysis is None:
        analysis = YearAnalysis(programme=programme, year=year)
        db.session.add(analysis)
    analysis.difficulties = data["difficulties"] or ""
    analysis.levers = data["levers"] or ""
    analysis.perspectives = data["perspectives"] or ""
    analysis.updated_by = actor
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "report_analysis",
        analysis.id,
        f"Analyse {year} enregistrée — {programme.name}",
        user=actor,
    )
    return analysis
