from collections.abc import Callable
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import permissions
from portal.audit import record_event
from portal.csv_export import csv_response
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.i18n import _
from portal.loading import require
from portal.models import AuditAction, FundingLine, Measure, OrganisationKind, now_utc
from portal.pdf import render_pdf
from portal.reports import bp
from portal.reports.activity import ActivityReport
from portal.reports.charts import Figures, bar_chart, line_chart, report_bar_chart
from portal.reports.disclosure import Audience, Shown
from portal.reports.entries import (
    add_funding_line,
    analyses,
    analysis_for,
    funding_lines,
    remove_funding_line,
    save_analysis,
)
from portal.reports.exports import (
    activity_csv_text,
    candidacies_csv,
    decisions_actions_csv,
    measures_csv,
    offers_csv,
)
from portal.reports.finance import build_finance, disclosed, euros, percent
from portal.reports.forms import FIRST_YEAR, AnalysisForm, FundingLineForm, ReportFilterForm
from portal.reports.grid import activity_grid
from portal.reports.indicators import Indicators, build_indicators
from portal.reports.scope import make_scope, paris_today, territory_names, visible_programmes
from portal.reports.storage import activity_report


def reader():
    return current_user._get_current_object()


def allowed_territories():
    return permissions.report_territory_ids(current_user)


FICHE_ENDPOINTS = ("measures.fiche_bilan", "measures.fiche")


def fiche_linker() -> Callable[[int, int], str | None]:
    """Links to the measures feature's fiche-bilan pages, for the readers who receive the
    fiches (the CCAS and the State service). Decided once per report, not on each line."""
    endpoint = next((e for e in FICHE_ENDPOINTS if e in current_app.view_functions), None)
    if endpoint is None or (
        permissions.reports_are_masked(current_user)
        and not current_user.belongs_to_kind(OrganisationKind.ETAT)
    ):
        return lambda measure_id, bilan_id: None
    return lambda measure_id, bilan_id: url_for(endpoint, measure_id=measure_id, bilan_id=bilan_id)


@bp.route("/")
@login_required
def index():
    """What the reports offer to this reader."""
    require(permissions.can_view_reports(current_user))
    return render_template(
        "reports/index.html", masked=permissions.reports_are_masked(current_user)
    )


# The activity report -----------------------------------------------------------------------


def reader_audience() -> Audience:
    if permissions.reads_exact_report_counts(current_user):
        return Audience.EXACT
    return Audience.PROTECTED


def chosen_audience() -> Audience:
    """The reader's audience; the coordinator may export the protected version, the one
    to publish (?audience=protected). Nobody gets more than their own audience."""
    own = reader_audience()
    if (
        own is Audience.EXACT
        and permissions.can_choose_report_audience(current_user)
        and request.args.get("audience") == Audience.PROTECTED.value
    ):
        return Audience.PROTECTED
    return own


def own_measure_ids() -> set[int]:
    return set(
        db.session.scalars(
            sa.select(Measure.id).where(Measure.organisation_id.in_(current_user.organisation_ids))
        )
    )


def activity_context(form: ReportFilterForm, audience: Audience, refresh: bool = False) -> dict:
    territories = allowed_territories()
    scope = make_scope(
        form.year.data, list(form.programmes.values()), territories, form.chosen_programme
    )
    computed = activity_report(scope, paris_today(), refresh=refresh)
    report = computed.report
    shown = Shown.for_audience(activity_grid(report), audience)
    exact_for_ccas = audience is Audience.EXACT and permissions.reads_reports_as_ccas(current_user)
    finance = build_finance(scope, report.reference_day)
    return {
        "report": report,
        "computed": computed,
        "refresh_form": ConfirmForm(formdata=None),
        "finance": disclosed(finance, shown.protected),
        "analyses": analyses(scope.programme_ids, scope.year),
        "can_write_year": permissions.can_write_year_report(current_user),
        "euros": euros,
        "share": percent,
        "f": shown,
        "audience": audience,
        "masked": shown.protected,
        # A household's reference only to the CCAS that runs its measure, not to another
        # CCAS of the territory.
        "own_measures": own_measure_ids() if exact_for_ccas else set(),
        "charts": activity_charts(report, shown),
        "territories": territory_names(scope.territory_ids),
        "fiche_url": fiche_linker() if audience is Audience.EXACT else no_fiche_link,
        "can_choose_audience": reader_audience() is Audience.EXACT
        and permissions.can_choose_report_audience(current_user),
    }


def no_fiche_link(measure_id: int, bilan_id: int) -> None:
    return None


def rows_of(table: str, breakdown) -> list[tuple[str, str]]:
    return [(row.label, f"{table}.{row.key or 'unknown'}") for row in breakdown.rows]


def activity_charts(report: ActivityReport, shown: Shown) -> dict:
    return {
        "publics": report_bar_chart(
            "chart-publics",
            _("Ménages suivis selon le public"),
            rows_of("publics", report.publics),
            shown,
        ),
        "obstacles": report_bar_chart(
            "chart-obstacles",
            _("Freins à la sortie, en nombre de ménages"),
            rows_of("obstacles", report.obstacles),
            shown,
        ),
        "outcomes": report_bar_chart(
            "chart-outcomes",
            _("Issues des mesures dans l'année"),
            [
                (_("Bail glissé au bilan à 6 mois"), "outcomes.slid_6"),
                (_("Bail glissé à 12 mois"), "outcomes.slid_12"),
                (_("Bail glissé après prolongation"), "outcomes.slid_ext"),
                (_("Mesure prolongée"), "outcomes.extended"),
                (_("Fin de mesure sans glissement"), "outcomes.ended"),
            ],
            shown,
        ),
        "offers": report_bar_chart(
            "chart-offers",
            _("Offres de propriétaires privés arrivées à chaque étape dans l'année"),
            rows_of("offers.reached", report.landlords.reached),
            shown,
        ),
    }


def report_form(today: date) -> ReportFilterForm:
    programmes = visible_programmes(allowed_territories())
    return ReportFilterForm(formdata=request.args, programmes=programmes, today=today)


def report_summary(report: ActivityReport, audience: Audience) -> str:
    programme = report.scope.programme.name if report.scope.programme else _("tous programmes")
    version = "exacte" if audience is Audience.EXACT else "protégée"
    return f"Rapport d'activité {report.scope.year} — {programme} (version {version})"


@bp.route("/activity")
@login_required
def activity():
    """The yearly activity report: figures only, pseudonymised; exact for the CCAS and the
    State service, protected for every other reader."""
    require(permissions.can_view_reports(current_user))
    form = report_form(paris_today())
    if not form.validate():
        return render_template("reports/activity.html", form=form, report=None), 400
    context = activity_context(form, chosen_audience())
    # Render before committing the reading: a commit expires what the page shows.
    page = render_template("reports/activity.html", form=form, **context)
    record_event(
        AuditAction.VIEW,
        "activity_report",
        None,
        report_summary(context["report"], context["audience"]),
    )
    db.session.commit()
    return page


@bp.route("/activity/refresh", methods=["POST"])
@login_required
def refresh_activity():
    """Compute a closed year's stored report again, now."""
    require(permissions.can_write_year_report(current_user))
    form = report_form(paris_today())
    if not form.validate() or not ConfirmForm().validate_on_submit():
        return render_template("reports/activity.html", form=form, report=None), 400
    context = activity_context(form, reader_audience(), refresh=True)
    record_event(
        AuditAction.CHANGE,
        "activity_report",
        None,
        report_summary(context["report"], context["audience"]) + " recalculé",
    )
    db.session.commit()
    flash(_("Le rapport de l'année est recalculé."), "success")
    return redirect(url_for("reports.activity", **request.args.to_dict()))


@bp.route("/activity.pdf")
@login_required
def activity_pdf():
    """The report as a PDF, in the reader's audience (the coordinator may choose the
    protected version, to publish)."""
    require(permissions.can_view_reports(current_user))
    form = report_form(paris_today())
    if not form.validate():
        return render_template("reports/activity.html", form=form, report=None), 400
    context = activity_context(form, chosen_audience())
    html = render_template("reports/activity_pdf.html", generated_at=now_utc(), **context)
    stylesheet = Path(current_app.static_folder, "css", "reports-pdf.css").read_text("utf-8")
    document = render_pdf(html, stylesheet)
    summary = report_summary(context["report"], context["audience"])
    record_event(AuditAction.EXPORT, "activity_report", None, summary + " (PDF)")
    db.session.commit()
    suffix = "" if context["audience"] is Audience.EXACT else "-diffusion"
    filename = f"rapport-activite-{context['report'].scope.year}{suffix}.pdf"
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/activity.csv")
@login_required
def activity_csv():
    """Every count of the report, one line each, in the reader's audience, with the sums
    that tie them (what a spreadsheet needs to check totals)."""
    require(permissions.can_view_reports(current_user))
    form = report_form(paris_today())
    if not form.validate():
        return render_template("reports/activity.html", form=form, report=None), 400
    context = activity_context(form, chosen_audience())
    content = activity_csv_text(context["f"])
    summary = report_summary(context["report"], context["audience"])
    record_event(AuditAction.EXPORT, "activity_report", None, summary + " (CSV)")
    db.session.commit()
    suffix = "" if context["audience"] is Audience.EXACT else "-diffusion"
    return csv_response(content, f"rapport-activite-{context['report'].scope.year}{suffix}")


# What the coordinator writes into a year ----------------------------------------------------


def load_year(year: int) -> int:
    if not FIRST_YEAR <= year <= paris_today().year:
        abort(404)
    return year


def year_page(year: int, funding_form=None, analysis_form=None, status: int = 200):
    programmes = visible_programmes(allowed_territories())
    ids = [p.id for p in programmes]
    chosen = request.args.get("programme", type=int)
    if analysis_form is None:
        analysis_form = AnalysisForm(formdata=None, programmes=programmes)
        programme = next((p for p in programmes if p.id == chosen), None) or (
            programmes[0] if programmes else None
        )
        if programme is not None:
            analysis_form.programme_id.data = programme.id
            written = analysis_for(programme, year)
            if written is not None:
                analysis_form.difficulties.data = written.difficulties
                analysis_form.levers.data = written.levers
                analysis_form.perspectives.data = written.perspectives
    return (
        render_template(
            "reports/year.html",
            year=year,
            programmes=programmes,
            lines=funding_lines(ids, year),
            funding_form=funding_form or FundingLineForm(formdata=None, programmes=programmes),
            analysis_form=analysis_form,
            delete_form=ConfirmForm(formdata=None),
        ),
        status,
    )


@bp.route("/year/<int:year>")
@login_required
def year_entries(year):
    """Funding lines and the written analysis of a year, typed by the coordinator."""
    require(permissions.can_write_year_report(current_user))
    return year_page(load_year(year))


@bp.route("/year/<int:year>/funding", methods=["POST"])
@login_required
def add_funding(year):
    require(permissions.can_write_year_report(current_user))
    load_year(year)
    form = FundingLineForm(programmes=visible_programmes(allowed_territories()))
    if not form.validate_on_submit():
        return year_page(year, funding_form=form, status=400)
    add_funding_line(form.programme, year, form.source.data, form.amount.data, reader())
    db.session.commit()
    flash(_("Le financement est ajouté."), "success")
    return redirect(url_for("reports.year_entries", year=year))


@bp.route("/year/<int:year>/funding/<int:line_id>/delete", methods=["POST"])
@login_required
def delete_funding(year, line_id):
    require(permissions.can_write_year_report(current_user))
    line = db.session.get(FundingLine, line_id)
    allowed = {p.id for p in visible_programmes(allowed_territories())}
    if line is None or line.year != year or line.programme_id not in allowed:
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return year_page(year, status=400)
    remove_funding_line(line, reader())
    db.session.commit()
    flash(_("Le financement est supprimé."), "success")
    return redirect(url_for("reports.year_entries", year=year))


@bp.route("/year/<int:year>/analysis", methods=["POST"])
@login_required
def write_analysis(year):
    require(permissions.can_write_year_report(current_user))
    load_year(year)
    form = AnalysisForm(programmes=visible_programmes(allowed_territories()))
    if not form.validate_on_submit():
        return year_page(year, analysis_form=form, status=400)
    save_analysis(form.programme, year, form.data, reader())
    db.session.commit()
    flash(_("L'analyse de l'année est enregistrée."), "success")
    return redirect(url_for("reports.year_entries", year=year, programme=form.programme.id))


# Indicators --------------------------------------------------------------------------------


def indicator_charts(indicators: Indicators, masked: bool) -> dict:
    labels = [p.short_label for p in indicators.trend]
    return {
        "trend": line_chart(
            "chart-trend",
            _("Mesures en cours, entrées et sorties, sur 12 mois"),
            labels,
            [
                (_("Mesures en cours"), "series-1", [p.open_measures for p in indicators.trend]),
                (_("Entrées"), "series-2", [p.entries for p in indicators.trend]),
                (_("Sorties"), "series-3", [p.exits for p in indicators.trend]),
            ],
            masked,
        ),
        "pipeline": bar_chart(
            "chart-pipeline",
            _("Offres de propriétaires privés en cours, par étape"),
            indicators.pipeline.rows,
            masked,
        ),
    }


@bp.route("/indicators")
@login_required
def indicators():
    """Live figures: capacity in use, waits, bilans and actions due, offers in progress."""
    require(permissions.can_view_reports(current_user))
    masked = not permissions.reads_exact_report_counts(current_user)
    today = paris_today()
    territories = allowed_territories()
    scope = make_scope(today.year, visible_programmes(territories), territories)
    figures = build_indicators(scope, today)
    # Render before committing the reading: a commit expires what the page shows.
    page = render_template(
        "reports/indicators.html",
        indicators=figures,
        f=Figures(masked),
        masked=masked,
        charts=indicator_charts(figures, masked),
        territories=territory_names(scope.territory_ids),
    )
    record_event(AuditAction.VIEW, "indicators", None, "Tableau des indicateurs")
    db.session.commit()
    return page


# CSV exports -------------------------------------------------------------------------------


def export(build, name: str):
    require(permissions.can_view_reports(current_user))
    content = build(reader())
    db.session.commit()
    return csv_response(content, name)


@bp.route("/exports/measures.csv")
@login_required
def export_measures():
    return export(measures_csv, "mesures")


@bp.route("/exports/candidacies.csv")
@login_required
def export_candidacies():
    return export(candidacies_csv, "candidatures")


@bp.route("/exports/decisions.csv")
@login_required
def export_decisions():
    return export(decisions_actions_csv, "decisions-et-actions")


@bp.route("/exports/offers.csv")
@login_required
def export_offers():
    return export(offers_csv, "offres-proprietaires")
