def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_dashboard_after_login(client, world, login):
    response = login(world.ccas_worker)
    assert response.status_code == 302
    page = client.get("/")
    assert "Bonjour Yann Social" in page.text
