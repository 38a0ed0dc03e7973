"""Legal notice, privacy notice, accessibility statement: their facts (who publishes, who
to write to, how long data is kept) come from the configuration, never from the text."""

from flask import current_app, render_template

from portal.legal import bp


def legal_facts() -> dict:
    config = current_app.config
    return {
        "publisher": config["LEGAL_PUBLISHER"],
        "address": config["LEGAL_ADDRESS"],
        "director": config["LEGAL_DIRECTOR"],
        "host": config["LEGAL_HOST"],
        "contact": config["LEGAL_CONTACT_EMAIL"],
        "dpo": config["DPO_CONTACT_EMAIL"],
        "retention_months": config["RETENTION_MONTHS"],
        "audit_months": config["AUDIT_KEEP_MONTHS"],
        "email_days": config["OUTBOX_KEEP_DAYS"],
        "unconfirmed_days": config["UNCONFIRMED_LANDLORD_DAYS"],
    }


@bp.route("/mentions-legales")
def notice():
    return render_template("legal/notice.html", facts=legal_facts())


@bp.route("/confidentialite")
def privacy():
    return render_template("legal/privacy.html", facts=legal_facts())


@bp.route("/accessibilite")
def accessibility():
    return render_template("legal/accessibility.html", facts=legal_facts())
