"""Translation: the French interface goes through gettext, unchanged, and English can follow.

- Babel's extraction (with the project's babel.cfg) finds the wrapped strings of templates
  and Python code: navigation, page text, enum labels, form labels, flash messages, plurals.
- With the default locale the pages render in French exactly as written, escaping included
  (lazy strings are escaped like plain ones) and French plurals (« 0 situation »).
- With a small English catalogue compiled on the fly and ``?lang=en``, translated strings
  replace the French ones: the wrapping really goes through gettext.
"""

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import render_template_string
from markupsafe import Markup

from portal.extensions import babel, db
from portal.formatting import stay_length
from portal.i18n import _l, ngettext
from portal.models import (
    CaseStatus,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Territory,
    User,
)
from tests.conftest import PASSWORD_HASH, sign_in

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def extracted() -> dict[str, tuple]:
    """msgid (or (singular, plural)) -> locations, as `make translations-extract` finds them."""
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    messages: dict = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords
    ):
        if filename.startswith((".venv", "tests", "migrations")):
            continue
        messages.setdefault(message, []).append((filename, lineno))
    return messages


@pytest.fixture
def fresh_translations():
    """Flask-Babel caches catalogues on the shared Babel object, per locale: start and
    end each test that compiles its own catalogue with an empty cache."""
    babel.domain_instance.cache.clear()
    yield
    babel.domain_instance.cache.clear()


def locations(extracted, message) -> list[str]:
    return [filename for filename, _line in extracted.get(message, [])]


def test_extraction_finds_templates_and_python_strings(extracted):
    assert "templates/base.html" in locations(extracted, "Tableau de bord")
    assert "templates/base.html" in locations(extracted, "Se connecter")
    assert "portal/auth/forms.py" in locations(extracted, "Se connecter")  # submit button
    # Enum labels (lazy, in the models) and form labels.
    assert "portal/models/cases.py" in locations(extracted, "Soumise au comité")
    assert "portal/models/audit.py" in locations(extracted, "Connexion")
    assert "portal/auth/forms.py" in locations(extracted, "Rester connecté sur cet appareil")
    assert "portal/forms.py" in locations(extracted, "%(max)d caractères au plus.")
    # Flash messages, with named placeholders instead of f-strings.
    assert "portal/cases/views.py" in locations(extracted, "Statut de la situation : %(status)s.")
    assert "portal/auth/views.py" in locations(extracted, "Vous êtes déconnecté. À bientôt !")
    # {% trans %} blocks with variables, plurals in templates and in Python.
    assert "templates/dashboard/index.html" in locations(extracted, "Bonjour %(name)s")
    assert locations(extracted, ("%(count)s situation", "%(count)s situations"))
    assert locations(
        extracted,
        ("Le formulaire contient %(count)s erreur.", "Le formulaire contient %(count)s erreurs."),
    )
    assert "portal/formatting.py" in locations(extracted, ("%(num)d jour", "%(num)d jours"))
    # E-mails, text and HTML.
    assert "templates/email/password_reset.txt" in locations(extracted, "Bonjour %(name)s,")
    assert "templates/email/_layout.html" in locations(
        extracted, "Portail partenaires — Parcours logement"
    )


def test_english_catalogue_is_initialised():
    with open(ROOT / "translations/en/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po)
    assert str(catalog.locale) == "en"
    assert "Se connecter" in catalog
    assert "Soumise au comité" in catalog


def test_login_page_in_french_as_written(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "<title>Connexion · Portail partenaires</title>" in page
    assert "<h1>Connexion</h1>" in page
    assert '<button type="submit" class="button">Se connecter</button>' in page
    assert '<label for="remember">Rester connecté sur cet appareil</label>' in page
    assert "Mot de passe oublié ?" in page
    # base.html keeps its entities; the footer's apostrophe stays as written.
    assert (
        "comité technique de l'intermédiation locative «&nbsp;Sortie de structures&nbsp;»" in page
    )

    failed = client.post("/login", data={"email": "x@exemple.fr", "password": "non"})
    page = failed.get_data(as_text=True)
    assert "<strong>Le formulaire contient 1 erreur.</strong>" in page
    assert "Adresse e-mail ou mot de passe incorrect." in page


def test_signed_in_pages_in_french_as_written(client, make_org, make_user):
    ccas = make_org(OrganisationKind.CCAS, name="CCAS de Concarneau")
    user = make_user(ccas, MembershipRole.ADMIN, coordinator=True, full_name="Anne Le Goff")
    sign_in(client, user)

    page = client.get("/").get_data(as_text=True)
    assert "<title>Tableau de bord · Portail partenaires</title>" in page
    assert "<h1>Bonjour Anne Le Goff</h1>" in page
    assert 'aria-current="page">Tableau de bord</a>' in page
    assert '<button type="submit" class="link-button">Se déconnecter</button>' in page
    # French plural rule, 0 included: « 1 membre actif ».
    assert "CCAS de Concarneau</a> : 1 membre actif</li>" in page

    # Lazy labels (form and enum) are escaped like ordinary strings.
    page = client.get("/organisations/new").get_data(as_text=True)
    assert '<label for="kind">Type d&#39;organisation</label>' in page
    assert f'<option value="ccas">{OrganisationKind.CCAS.label}</option>' in page

    page = client.get("/cases/").get_data(as_text=True)
    assert '<p class="muted" role="status">0 situation</p>' in page


def test_labels_and_plurals_outside_requests(app):
    """Cron jobs and the CLI render e-mails in an app context, without a request."""
    assert CaseStatus.SUBMITTED.label == "Soumise au comité"
    assert CaseStatus.SUBMITTED.label.lower() == "soumise au comité"
    assert f"« {CaseStatus.DRAFT.label} »" == "« Brouillon »"
    assert stay_length(0) == "0 jour"
    assert stay_length(400) == "1 an et 1 mois"
    assert ngettext("%(num)d action", "%(num)d actions", 2) == "2 actions"
    text = render_template_string(
        "{{ _('Bonjour,') }} {% trans count=0 %}{{ count }} jour{% pluralize %}"
        "{{ count }} jours{% endtrans %} · {{ label }}",
        label=_l("Type d'organisation"),
    )
    assert text == "Bonjour, 0 jour · Type d&#39;organisation"
    assert Markup("{}").format(_l("<b>")) == "&lt;b&gt;"


def test_outside_any_context_labels_stay_french():
    assert CaseStatus.CLOSED.label == "Close"
    assert str(_l("Se connecter")) == "Se connecter"


def staff_member(full_name: str) -> User:
    """A CCAS member, in the current app's database."""
    territory = Territory(name="Concarneau Cornouaille Agglomération")
    ccas = Organisation(name="CCAS", kind=OrganisationKind.CCAS, territory=territory)
    user = User(email="anne@exemple.fr", full_name=full_name, password_hash=PASSWORD_HASH)
    db.session.add_all([territory, ccas, user, Membership(user=user, organisation=ccas)])
    db.session.commit()
    return user


def write_catalogue(directory: Path, locale: str, translations: dict) -> None:
    catalog = Catalog(locale=locale)
    for message, translation in translations.items():
        catalog.add(message, translation)
    target = directory / locale / "LC_MESSAGES"
    target.mkdir(parents=True)
    with open(target / "messages.mo", "wb") as mo:
        write_mo(mo, catalog)


def test_english_catalogue_translates_through_gettext(make_app, tmp_path, fresh_translations):
    write_catalogue(
        tmp_path / "translations",
        "en",
        {
            "Se connecter": "Sign in",
            "Connexion": "Sign-in",
            "Tableau de bord": "Dashboard",
            "Bonjour %(name)s": "Hello %(name)s",
            ("%(count)s situation", "%(count)s situations"): (
                "%(count)s case",
                "%(count)s cases",
            ),
            "Rester connecté sur cet appareil": "Stay signed in on this device",
        },
    )
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(tmp_path / "translations"))
    client = app.test_client()

    page = client.get("/login?lang=en").get_data(as_text=True)
    assert '<button type="submit" class="button">Sign in</button>' in page
    assert "<h1>Sign-in</h1>" in page
    assert '<label for="remember">Stay signed in on this device</label>' in page  # lazy label
    assert "Mot de passe oublié ?" in page  # not in the small catalogue: French stays
    assert "Se connecter" not in page

    # The choice is kept in the session, and French comes back on request.
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    assert "Se connecter" in client.get("/login?lang=fr").get_data(as_text=True)

    with app.app_context():
        user = staff_member(full_name="Anne Le Goff")
        sign_in(client, user)
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "<h1>Hello Anne Le Goff</h1>" in page
    assert ">Dashboard</a>" in page
    assert '<p class="muted" role="status">0 cases</p>' in client.get("/cases/").get_data(
        as_text=True
    )


def test_without_a_catalogue_the_locale_stays_french(make_app, tmp_path, fresh_translations):
    """No compiled catalogue for a locale: ``?lang=`` and the browser's language change
    nothing (no English dates around French text)."""
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(tmp_path / "empty"))
    client = app.test_client()
    page = client.get("/login?lang=en", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Se connecter" in page.get_data(as_text=True)
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Se connecter" in page.get_data(as_text=True)
