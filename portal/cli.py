"""Command-line tools: the worker, demo data, set-up, and each scheduled job by hand. Safe
to run on several machines at once."""

from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from portal.extensions import db
from portal.i18n import _

demo_cli = AppGroup("demo", help="Données de démonstration.")
outbox_cli = AppGroup("outbox", help="Envoi des e-mails en attente.")
users_cli = AppGroup("users", help="Comptes.")
retention_cli = AppGroup("retention", help="Durée de conservation des données des ménages.")
reminders_cli = AppGroup("reminders", help="Rappels des réunions et des actions en retard.")
owners_cli = AppGroup("landlords", help="Propriétaires privés : règles du simulateur.")
worker_cli = AppGroup("worker", help="Le processus qui envoie les e-mails et lance les tâches.")


@demo_cli.command("load")
@click.option(
    "--if-empty", is_flag=True, help="Ne rien faire si la base contient déjà des comptes."
)
def demo_load(if_empty: bool) -> None:
    """Load the Concarneau territory of the field report, with its demo accounts."""
    from portal.demo import load_demo_data
    from portal.models import User

    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException(_("Les données de démonstration sont interdites en production."))
    if db.session.scalar(sa.select(sa.func.count(User.id))):
        if if_empty:
            click.echo(
                _("La base contient déjà des comptes : données de démonstration non chargées.")
            )
            return
        raise click.ClickException(
            _(
                "La base n'est pas vide : les données de démonstration ne sont chargées que "
                "dans une base vide."
            )
        )
    load_demo_data()
    db.session.commit()
    click.echo(
        _("Données de démonstration chargées. Mot de passe de tous les comptes : portail-demo-2026")
    )


@demo_cli.command("scale")
@click.option(
    "--preset",
    type=click.Choice(["territory", "department"]),
    default=None,
    help="territory : 5 000 ménages sur 3 ans ; department : 50 000 sur 5 ans.",
)
@click.option("--households", type=click.IntRange(1), default=None, help="Nombre de ménages.")
@click.option("--years", type=click.IntRange(1, 20), default=None, help="Années d'historique.")
@click.option("--seed", type=int, default=2026, show_default=True, help="Graine du hasard.")
def demo_scale(preset, households, years, seed) -> None:
    """Fill an empty database with territory-scale synthetic data (load tests, benchmark)."""
    import time

    from portal.scale import BENCH_EMAIL, PRESETS, SCALE_PASSWORD, database_is_empty, generate

    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException(_("Les données de démonstration sont interdites en production."))
    if not database_is_empty():
        raise click.ClickException(
            _(
                "La base n'est pas vide : les données de volume ne sont chargées que dans "
                "une base vide."
            )
        )
    options = dict(PRESETS[preset]) if preset else {"households": 5_000, "years": 3}
    options["households"] = households or options["households"]
    options["years"] = years or options["years"]
    started = time.perf_counter()
    counts = generate(seed=seed, **options)
    db.session.commit()
    click.echo(
        _(
            "%(households)d ménages sur %(years)d ans : %(rows)d lignes en %(seconds).1f s.",
            households=options["households"],
            years=options["years"],
            rows=sum(counts.values()),
            seconds=time.perf_counter() - started,
        )
    )
    click.echo(
        _(
            "Compte du travailleur social du CCAS : %(email)s, mot de passe %(password)s",
            email=BENCH_EMAIL,
            password=SCALE_PASSWORD,
        )
    )


@outbox_cli.command("send")
@click.option("--limit", default=200, show_default=True, help="Nombre maximal de messages.")
def outbox_send(limit: int) -> None:
    """Send the e-mails that are due now (the worker does it every few seconds)."""
    from portal.outbox.services import send_due

    sent, failed = send_due(limit)
    click.echo(
        _(
            "%(sent)d envoyé(s), %(failed)d en échec (nouvel essai plus tard).",
            sent=sent,
            failed=failed,
        )
    )


@users_cli.command("create-coordinator")
@click.argument("email")
@click.argument("full_name")
@click.argument("organisation_name")
@click.option("--territory", default="Concarneau Cornouaille Agglomération", show_default=True)
@click.password_option("--password", prompt="Mot de passe")
def create_coordinator(email, full_name, organisation_name, territory, password):
    """Create the first coordinator account and its CCAS (bootstraps a new instance)."""
    from portal.auth.passwords import password_problem
    from portal.auth.services import set_password
    from portal.models import (
        Membership,
        MembershipRole,
        Organisation,
        OrganisationKind,
        Territory,
        User,
        now_utc,
    )

    problem = password_problem(password, [email, full_name])
    if problem:
        raise click.ClickException(problem)
    email = email.strip().lower()
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise click.ClickException(_("Un compte existe déjà pour cette adresse."))
    place = db.session.scalar(sa.select(Territory).where(Territory.name == territory))
    if place is None:
        place = Territory(name=territory)
    organisation = db.session.scalar(
        sa.select(Organisation).where(Organisation.name == organisation_name)
    )
    if organisation is None:
        organisation = Organisation(
            name=organisation_name, kind=OrganisationKind.CCAS, territory=place
        )
    elif organisation.kind != OrganisationKind.CCAS:
        raise click.ClickException(_("Le rôle de coordination est réservé au personnel d'un CCAS."))
    user = User(email=email, full_name=full_name, is_coordinator=True, email_confirmed_at=now_utc())
    db.session.add_all([place, organisation, user])
    set_password(user, password)
    db.session.add(Membership(user=user, organisation=organisation, role=MembershipRole.ADMIN))
    db.session.commit()
    click.echo(_("Compte de coordination créé pour %(email)s.", email=email))


def months_or_more(ctx, param, value: int | None) -> int | None:
    """Click's own range check answers in English; the people who run this read French."""
    if value is not None and value < 0:
        raise click.UsageError(
            _("--months : une durée de conservation se compte en mois, 0 ou plus."), ctx
        )
    return value


@retention_cli.command("run")
@click.option(
    "--months",
    type=int,
    callback=months_or_more,
    default=None,
    help="Durée de conservation après la clôture, en mois (par défaut RETENTION_MONTHS, 24).",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date à laquelle compter la durée (AAAA-MM-JJ ; par défaut aujourd'hui).",
)
@click.option("--dry-run", is_flag=True, help="Lister sans rien modifier.")
def retention_run(months: int | None, as_of, dry_run: bool) -> None:
    """Anonymise households whose cases have all been closed for longer than the period, and
    purge what has outlived its use (the worker runs it daily).

    Each household is anonymised in a transaction of its own; an anonymised household is
    skipped, so the job can run twice, or on two machines at once."""
    from portal.jobs.schedule import retention
    from portal.models import now_utc

    report = retention(now_utc(), months=months, as_of=as_of, dry_run=dry_run)
    for line in report.lines(dry_run):
        click.echo(line)


@reminders_cli.command("send")
def reminders_send() -> None:
    """Queue the meeting reminders that are due, the overdue-action e-mails and the IML
    bilan alerts (the worker runs it hourly). Each meeting and bilan is claimed with a
    conditional UPDATE: two runs at once never send one twice."""
    from portal.jobs.schedule import send_reminders_and_alerts
    from portal.models import now_utc

    click.echo(send_reminders_and_alerts(now_utc()))


@worker_cli.command("run")
@click.option("--once", is_flag=True, help="Un seul tour, puis s'arrêter.")
def worker_run(once: bool) -> None:
    """Deliver e-mails, run the requests' tasks and the scheduled jobs, until stopped."""
    from portal.jobs.worker import run_forever, run_once

    if once:
        done = run_once()
        click.echo(
            _(
                "%(tasks)d tâche(s), %(jobs)d traitement(s) planifié(s), %(sent)d e-mail(s) "
                "envoyé(s), %(failed)d en échec.",
                tasks=done["tasks"],
                jobs=len(done["jobs"]),
                sent=done["sent"],
                failed=done["failed"],
            )
        )
        for name, result in done["jobs"]:
            click.echo(f"{name} : {result}")
        return
    run_forever()


@click.command("health")
@with_appcontext
def health() -> None:
    """Exit non-zero when a part of the portal is unwell (for monitoring)."""
    from portal.ops.health import run_checks

    checks = run_checks()
    for check in checks:
        click.echo(f"{'OK' if check.ok else 'KO':<3} {check.name} : {check.detail}")
    if not all(check.ok for check in checks):
        raise SystemExit(1)


@click.command("doctor")
@with_appcontext
def doctor() -> None:
    """Check the installation (configuration, database, uploads, mail server, PDF
    libraries) and say in French what to fix."""
    from portal.ops.doctor import diagnose

    problems = 0
    for finding in diagnose():
        label = _("OK") if finding.ok else _("À CORRIGER")
        click.echo(f"{label:<10} {finding.part} : {finding.message}")
        problems += not finding.ok
    if problems:
        click.echo(_("%(count)d point(s) à corriger.", count=problems))
        raise SystemExit(1)
    click.echo(_("Tout est en ordre."))


# Backups -------------------------------------------------------------------------------------

backup_cli = AppGroup("backup", help="Sauvegarde et restauration : base et fichiers déposés.")


@backup_cli.command("create")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=Path("."),
    help="Fichier de l'archive, ou dossier où l'écrire sous le nom "
    "portail-AAAAMMJJ-HHMMSS.tar.gz (heure UTC). Par défaut : le dossier courant.",
)
def backup_create(output: Path) -> None:
    """Write one archive: a consistent copy of the database, the uploaded files, and a
    manifest of their checksums. The archive is readable by its owner only; it holds
    personal data: copy it off this server, encrypted."""
    from portal.ops.backup import BackupError, create_backup, readable_size

    try:
        archive, manifest = create_backup(output)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    files = sum(member["name"].startswith("uploads/") for member in manifest["members"])
    click.echo(
        _(
            "Sauvegarde écrite : %(path)s (%(size)s).",
            path=archive,
            size=readable_size(archive.stat().st_size),
        )
    )
    click.echo(
        _(
            "Base %(backend)s (révision Alembic : %(revision)s) et %(files)d fichier(s) déposé(s).",
            backend=manifest["database"]["backend"],
            revision=manifest["database"]["revision"] or _("aucune"),
            files=files,
        )
    )
    missing = manifest["missing_files"]
    if missing:
        click.echo(
            _(
                "Attention : %(count)d fichier(s) cité(s) par la base manquent dans le dossier "
                "des fichiers déposés : %(names)s",
                count=len(missing),
                names=", ".join(missing[:5]) + (" …" if len(missing) > 5 else ""),
            ),
            err=True,
        )


def confirmed(question: str) -> bool:
    """click.confirm wants an English « y »: ask for « oui » instead."""
    try:
        answer = click.prompt(f"{question} (oui/non)", default="non", show_default=False)
    except click.Abort:  # no answer (end of input, Ctrl-C)
        return False
    return answer.strip().lower() in {"oui", "o"}


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Restaurer sans demander de confirmation.")
def backup_restore(archive: Path, yes: bool) -> None:
    """Restore an archive into an EMPTY database and an empty (or absent) upload folder,
    after checking every checksum. A PostgreSQL database must have no table at all (a fresh
    createdb, before any flask db upgrade); a SQLite file must be absent or empty. Stop the
    portal and the worker meanwhile, and run it as the portal's system user."""
    from portal.ops.backup import (
        BackupError,
        check_targets,
        describe_database,
        readable_size,
        restore_backup,
        upload_folder,
        verify_archive,
    )

    try:
        manifest = verify_archive(archive)
        click.echo(
            _(
                "Archive vérifiée : %(count)d élément(s) conformes au manifeste (sauvegarde du "
                "%(created)s, portail %(version)s).",
                count=len(manifest["members"]),
                created=manifest.get("created_at"),
                version=manifest.get("portal_version") or _("version inconnue"),
            )
        )
        check_targets(manifest)
        question = _(
            "Restaurer dans la base %(database)s et le dossier %(folder)s ?",
            database=describe_database(),
            folder=upload_folder(),
        )
        if not yes and not confirmed(question):
            raise click.ClickException(_("Restauration annulée : rien n'a été modifié."))
        restored = restore_backup(archive, manifest)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        _(
            "Base %(backend)s restaurée : %(tables)d table(s), révision Alembic %(revision)s.",
            backend=restored.backend,
            tables=restored.tables,
            revision=restored.revision or _("aucune"),
        )
    )
    click.echo(
        _(
            "%(files)d fichier(s) déposé(s) restauré(s) dans %(folder)s (%(size)s).",
            files=restored.files,
            folder=upload_folder(),
            size=readable_size(restored.bytes),
        )
    )


@owners_cli.command("seed-rules")
def owners_seed_rules() -> None:
    """Store the simulator's built-in rules with their sources (once; safe to re-run)."""
    from portal.owners.services import seed_rules

    added = seed_rules()
    db.session.commit()
    click.echo(_("%(added)d règle(s) ajoutée(s).", added=added))


def register(app: Flask) -> None:
    for group in (
        demo_cli,
        outbox_cli,
        users_cli,
        retention_cli,
        reminders_cli,
        owners_cli,
        worker_cli,
        backup_cli,
        health,
        doctor,
    ):
        app.cli.add_command(group)
