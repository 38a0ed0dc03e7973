"""A template shows what its view passed it: no page issues a query while it is rendered.

Every GET page of the access matrix (which ``test_every_route_is_in_the_matrix`` keeps
complete) is opened by each person who may see it (every role the matrix expects a 200
from), in the matrix's world. Each SQL statement the database receives between Flask's
``before_render_template`` and ``template_rendered`` signals (one pair per
``render_template`` call; the templates it includes, imports or extends render inside it)
is a query issued by the template: a lazy load (``case.household`` not loaded by the view's
query), an expired attribute, a helper that reads the database. The test lists each, with
the page, the person, the template and the statement.

What happens before the template starts is the view's: its queries, the context
processors (the navigation) and the loading of ``current_user``.

Each request runs in an application context of its own, so that its session starts empty
as in production: nothing the test's set-up loaded is found already in memory.

Lazy loading does not depend on the database: the test runs on SQLite only (on PostgreSQL
it finds the same statements).

The same visits check that whatever a page writes (the access log of the households it
shows) is committed, not rolled back with the request's end.

The usual fixes: load what the page shows with the object (``selectinload``/``joinedload``
options in the view's query), and render before committing a reading (a commit expires
every loaded object, ``current_user`` and its session record included).
"""

import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from flask import before_render_template, template_rendered

from tests.access_rules import ROLES
from tests.conftest import sign_in
from tests.test_access_matrix import MATRIX, matrix  # noqa: F401 (the world, built once)


@dataclass
class RenderingQueries:
    """The SQL statements executed while a template is being rendered."""

    templates: list[str] = field(default_factory=list)  # being rendered, outermost first
    statements: list[tuple[str, str]] = field(default_factory=list)  # where, SQL
    uncommitted: list[str] = field(default_factory=list)  # writes since the last commit

    def starts(self, app, template, context, **extra):
        self.templates.append(template.name or "(string)")

    def ends(self, app, template, context, **extra):
        self.templates.pop()

    def executes(self, connection, cursor, statement, parameters, context, executemany):
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if verb in ("INSERT", "UPDATE", "DELETE"):
            self.uncommitted.append(" ".join(statement.split())[:160])
        elif statement.startswith("RELEASE SAVEPOINT"):  # the view's commit, in this test
            self.uncommitted.clear()
        if self.templates:
            where = template_lines() or " > ".join(self.templates)
            self.statements.append((where, " ".join(statement.split())))

    @contextmanager
    def recording(self, app, connection):
        before_render_template.connect(self.starts, app)
        template_rendered.connect(self.ends, app)
        sa.event.listen(connection, "before_cursor_execute", self.executes)
        try:
            yield self
        finally:
            sa.event.remove(connection, "before_cursor_execute", self.executes)
            template_rendered.disconnect(self.ends, app)
            before_render_template.disconnect(self.starts, app)


def template_lines() -> str:
    """The template lines being run, innermost first (the compiled code of a template
    knows its template, which maps its lines back to the template's)."""
    lines = []
    for frame, _line in traceback.walk_stack(None):
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            lines.append(f"{template.name}:{template.get_corresponding_lineno(frame.f_lineno)}")
    return " < ".join(lines)


def allowed_roles(endpoint: str) -> list[str]:
    expected = MATRIX[(endpoint, "GET")].expected
    return [role for role in ROLES if expected[role] == 200]


PAGES = sorted(e for e, method in MATRIX if method == "GET" and allowed_roles(e))


@pytest.mark.parametrize("matrix", ["sqlite"], indirect=True)
@pytest.mark.parametrize("endpoint", PAGES)
def test_no_template_issues_a_query(matrix, endpoint):  # noqa: F811
    found, lost = [], []
    for role in allowed_roles(endpoint):
        with matrix.case() as client:
            url = MATRIX[(endpoint, "GET")].url(matrix.world, matrix.extra)
            if role != "anonymous":
                person = matrix.extra.get(role) or getattr(matrix.world, role)
                sign_in(client, person, second_factor=role != "enrolment_pending")
            recorder = RenderingQueries()
            # A context of its own: the request's session starts empty, as in production.
            with matrix.app.app_context(), recorder.recording(matrix.app, matrix.connection):
                response = client.get(url, buffered=True)
            assert response.status_code == 200, f"{role} GET {url}: {response.status_code}"
            found += [
                f"{url} as {role}, in {template}:\n    {sql}"
                for template, sql in recorder.statements
            ]
            lost += [f"{url} as {role}:\n    {sql}" for sql in recorder.uncommitted]
    assert not found, f"{len(found)} queries issued while rendering:\n" + "\n".join(found)
    # A page that writes (an access-log line for a household's data) commits what it wrote:
    # a write left to the end of the request is rolled back, and the reading goes unlogged.
    assert not lost, f"{len(lost)} writes never committed:\n" + "\n".join(lost)
