"""The legal notice, privacy notice and accessibility statement: open to everyone, linked
from every page, and stating the installation's own settings."""

import html

import pytest

from tests.conftest import sign_in

PAGES = {
    "/mentions-legales": "Mentions légales",
    "/confidentialite": "Données personnelles",
    "/accessibilite": "Déclaration d'accessibilité",
}


@pytest.mark.parametrize("path", PAGES)
def test_each_legal_page_is_public_and_linked_from_every_page(client, world, path):
    page = client.get(path)
    assert page.status_code == 200
    assert f"<h1>{PAGES[path]}</h1>" in html.unescape(page.text)
    assert f'href="{path}"' in client.get("/login").text  # signed out
    sign_in(client, world.partner_member)
    for other in ("/", "/cases/", path):
        assert f'href="{path}"' in client.get(other).text, other


def test_the_privacy_notice_reads_its_periods_and_contacts_from_the_settings(app, client):
    app.config.update(
        RETENTION_MONTHS=36,
        AUDIT_KEEP_MONTHS=6,
        OUTBOX_KEEP_DAYS=15,
        DPO_CONTACT_EMAIL="rgpd@ccas-exemple.fr",
        LEGAL_PUBLISHER="CCAS de Concarneau",
    )

    text = html.unescape(client.get("/confidentialite").text)

    assert "Dossier d'un ménage : 36 mois après la clôture" in text
    assert "Journal des consultations et des modifications : 6 mois" in text
    assert "E-mails envoyés par le portail : 15 jours" in text
    assert 'href="mailto:rgpd@ccas-exemple.fr"' in text
    assert "Responsable du traitement : CCAS de Concarneau." in text
