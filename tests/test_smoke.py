def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"


def test_dashboard_after_login(client, world, login):
    response = login(world.partner_member)
    assert response.status_code == 302
    page = client.get("/")
    assert "Bonjour Paul Membre" in page.text


def test_an_account_that_reads_identities_enrols_a_second_factor_first(client, world, login):
    response = login(world.ccas_worker)
    assert response.location == "/account/two-factor"
    assert client.get("/").location == "/account/two-factor"
