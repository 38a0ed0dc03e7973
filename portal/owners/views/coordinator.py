"""The rules pages: the coordinator dates new values of the scheme's parameters and new rent
ceilings (rules as data, read by ``rules.py``)."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import permissions
from portal.extensions import db
from portal.i18n import _
from portal.loading import require
from portal.models import CommuneCeiling, RuleParameter
from portal.owners import bp
from portal.owners import rules as R
from portal.owners.forms import CeilingForm, RuleValueForm
from portal.owners.services import add_ceiling, add_rule_value, current_rules
from portal.transactions import commit_unless_refused


@bp.route("/rules")
@login_required
def rules_index():
    require(permissions.can_edit_rules(current_user))
    in_effect = current_rules()
    history = db.session.scalars(
        sa.select(RuleParameter).order_by(RuleParameter.key, RuleParameter.effective_from.desc())
    ).all()
    ceilings = db.session.scalars(
        sa.select(CommuneCeiling).order_by(
            CommuneCeiling.effective_from.desc(), CommuneCeiling.commune_id, CommuneCeiling.level
        )
    ).all()
    return render_template(
        "owners/rules.html",
        rules=[in_effect.rules[key] for key in R.RULE_KEYS],
        history=history,
        ceilings=ceilings,
        default_ceilings=R.DEFAULT_CEILINGS,
    )


@bp.route("/rules/<key>/new", methods=["GET", "POST"])
@login_required
def rule_new(key):
    require(permissions.can_edit_rules(current_user))
    if key not in R.RULE_KEYS:
        abort(404)
    rule = current_rules().rules[key]
    form = RuleValueForm()
    if request.method == "GET":
        form.value.data = str(rule.value)
        form.source.data = str(rule.source)
    if form.validate_on_submit():
        with commit_unless_refused() as outcome:
            add_rule_value(
                key,
                form.value.data,
                form.source.data,
                form.effective_from.data,
                current_user._get_current_object(),
            )
        if outcome.refused:
            form.value.errors.append(outcome.message)
        else:
            flash(_("La nouvelle valeur est enregistrée."), "success")
            return redirect(url_for("owners.rules_index"))
    status = 400 if request.method == "POST" else 200
    return render_template("owners/rule_form.html", form=form, rule=rule), status


@bp.route("/rules/ceilings/new", methods=["GET", "POST"])
@login_required
def ceiling_new():
    require(permissions.can_edit_rules(current_user))
    form = CeilingForm()
    if form.validate_on_submit():
        add_ceiling(
            form.commune_id.data,
            int(form.level.data),
            form.eur_per_m2.data,
            form.source.data,
            form.effective_from.data,
            bool(form.is_example.data),
            current_user._get_current_object(),
        )
        db.session.commit()
        flash(_("Le plafond est enregistré."), "success")
        return redirect(url_for("owners.rules_index"))
    status = 400 if request.method == "POST" else 200
    return render_template("owners/ceiling_form.html", form=form), status
