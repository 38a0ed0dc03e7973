"""Every form and every list filter of the portal, explored with hostile input (Hypothesis):
no answer is a server error, and a refused submission writes nothing.

The forms are found from the application itself, not from a list kept by hand: every GET
route of the access matrix (which ``test_every_route_is_in_the_matrix`` keeps complete) is
opened by a person who may see it, and each ``<form>`` the page holds is submitted with
generated values (numbers past the database's integers, negative or not numbers at all,
extreme dates, NUL, right-to-left marks, emoji, lone surrogates sent as bytes, long text).
A new page or form is explored without anyone adding it here. Each form is also sent once
as a careful person would fill it: when it is accepted, every text typed is stored exactly as
typed, and the page it leads to opens.

``FORM_EXAMPLES`` sets the examples per form (a few in CI, more by hand); the examples are
derived from the test's name, so a failure found once is found again on every run.
"""

import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from tests.access_rules import ROLES
from tests.conftest import sign_in, table_counts
from tests.test_access_matrix import MATRIX, matrix  # noqa: F401 (the world, built once)

EXAMPLES = int(os.environ.get("FORM_EXAMPLES", "4"))

# Who opens each page: public pages as nobody, others as the first person who may.
OPENERS = ("anonymous", "coordinator", "ccas_worker", "organiser", "partner_admin") + ROLES

# Tables a refused submission may still touch: the reading and session records.
BOOKKEEPING = {"audit_event", "user_session", "stashed_submission"}

NUMBERS = st.sampled_from(
    [
        "2147483648",  # PostgreSQL integer + 1
        "-2147483649",
        "9223372036854775808",  # SQLite's 64 bits + 1
        "99999999999999999999999999",
        "-1",
        "0",
        "1e308",
        "NaN",
        "١٢",  # Arabic-Indic digits
        "12,5",
    ]
)
DATES = st.sampled_from(
    ["0001-01-01", "9999-12-31", "1899-12-31", "2026-02-31", "31/12/9999", "00/00/0000"]
)
ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "\u202eédrocér\u202c",  # right-to-left override
        "\u200b",
        "😀" * 40,
        "\ud800",  # a lone surrogate: sent as the bytes a browser would not send
        "<script>alert(1)</script>",
        "x" * 20_000,
        "Robert'); DROP TABLE household;--",
    ]
)
TEXT = st.text(max_size=40)


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str, list[str]]] = field(default_factory=list)  # name, kind, values


class FormParser(HTMLParser):
    """The forms of a page, with each field's kind and the values the page offers."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.select: tuple[str, list[str]] | None = None
        self.textarea: str | None = None
        self.link_parameters: dict[str, list[str]] = {}  # of links to the page itself

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "a" and "?" in attrs.get("href", ""):
            target = urlsplit(attrs["href"])
            if target.path in ("", urlsplit(self.page_url).path):
                for name, value in parse_qsl(target.query, keep_blank_values=True):
                    self.link_parameters.setdefault(name, []).append(value)
        if tag == "form":
            self.current = Form(
                (attrs.get("method") or "get").lower(), attrs.get("action") or self.page_url
            )
            self.forms.append(self.current)
        elif tag == "option" and self.select is not None:
            self.select[1].append(attrs.get("value", ""))
        elif self.current is None or not attrs.get("name"):
            return
        elif tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind == "text" and attrs.get("inputmode") in ("numeric", "decimal"):
                kind = "number"
            if kind not in ("submit", "button", "image", "reset", "file"):
                self.current.fields.append((attrs["name"], kind, [attrs.get("value", "")]))
        elif tag == "select":
            self.select = (attrs["name"], [])
            self.current.fields.append((attrs["name"], "select", self.select[1]))
        elif tag == "textarea":
            self.current.fields.append((attrs["name"], "textarea", [""]))
        elif tag == "button":  # a named button says which way the form goes
            self.current.fields.append((attrs["name"], "button", [attrs.get("value", "")]))

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None


def forms_of(page: str, url: str) -> list[Form]:
    """The page's forms, and the query parameters of its links to itself (sorting, pages,
    tabs) as one more GET form."""
    parser = FormParser(url)
    parser.feed(page)
    links = [(name, "text", values) for name, values in parser.link_parameters.items()]
    return parser.forms + ([Form("get", url, links)] if links else [])


def value_for(kind: str, offered: list[str]) -> st.SearchStrategy[str]:
    """What a hostile or clumsy person might send in a field of this kind."""
    usual = [st.sampled_from(offered)] if offered and offered != [""] else []
    if kind in ("hidden", "csrf"):
        return st.one_of(*usual, NUMBERS) if usual else NUMBERS
    if kind == "date" or kind == "month":
        return st.one_of(*usual, DATES, NUMBERS, ODD_TEXT)
    return st.one_of(*usual, NUMBERS, DATES, ODD_TEXT, TEXT)


def encoded(pairs: list[tuple[str, str]]) -> bytes:
    """A form body as a browser encodes it; lone surrogates become the bytes they would be
    in UTF-16 turned to UTF-8, which no decoder accepts."""
    return "&".join(
        f"{quote(name)}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}"
        for name, value in pairs
    ).encode()


def opener(endpoint: str) -> str | None:
    expected = MATRIX[(endpoint, "GET")].expected
    return next((role for role in OPENERS if expected.get(role) == 200), None)


def person(matrix, role):  # noqa: F811
    return matrix.extra[role] if role in matrix.extra else getattr(matrix.world, role)


def enter(matrix, client, role):  # noqa: F811
    if role != "anonymous":
        sign_in(client, person(matrix, role), second_factor=True)


def open_page(matrix, client, endpoint, role):  # noqa: F811
    enter(matrix, client, role)
    url = MATRIX[(endpoint, "GET")].url(matrix.world, matrix.extra)
    response = client.get(url, buffered=True)  # downloads too: their files closed
    return url, response


PAGES = sorted(endpoint for endpoint, method in MATRIX if method == "GET" and opener(endpoint))


def explore(matrix, endpoint, method):  # noqa: F811
    """Each form of the page (of ``method``), submitted ``EXAMPLES`` times, each time inside
    the matrix's savepoint."""
    role = opener(endpoint)
    with matrix.case() as client:
        url, page = open_page(matrix, client, endpoint, role)
        if page.status_code != 200 or page.mimetype != "text/html":
            return
        forms = [f for f in forms_of(page.text, url) if f.method == method]
    for form in forms:
        if method == "get":  # list pages read ?page= too
            form.fields.append(("page", "number", ["1"]))
    for index, form in enumerate(forms):
        where = f"{method.upper()} {form.action} (form {index} of {endpoint}, as {role})"
        hostile_submissions(matrix, endpoint, role, form, where)()


def hostile_submissions(matrix, endpoint, role, form, where):  # noqa: F811
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=(Phase.generate,),  # no shrinking: the report names the values already
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def submit(data):
        values = [
            (name, data.draw(value_for(kind, offered), label=name))
            for name, kind, offered in form.fields
            if kind not in ("checkbox", "radio") or data.draw(st.booleans())
        ]
        with matrix.case() as client:
            enter(matrix, client, role)
            before = table_counts()
            if form.method == "post":
                response = client.post(
                    form.action,
                    data=encoded(values),
                    content_type="application/x-www-form-urlencoded",
                    buffered=True,
                )
            else:
                path = urlsplit(form.action).path
                response = client.get(f"{path}?{encoded(values).decode()}", buffered=True)
            after = table_counts()
        assert response.status_code < 500, f"{where}: {response.status_code} with {values}"
        refused = response.status_code >= 400 or (
            response.status_code == 200 and response.mimetype == "text/html"
        )
        if form.method == "post" and refused:
            changed = {
                t: (before[t], after[t])
                for t in before
                if t not in BOOKKEEPING and before[t] != after[t]
            }
            assert not changed, f"{where}: refused, yet wrote {changed} with {values}"

    return submit


@pytest.mark.parametrize("endpoint", PAGES)
def test_every_form_answers_hostile_input_without_a_server_error(matrix, endpoint):  # noqa: F811
    explore(matrix, endpoint, "post")


@pytest.mark.parametrize("endpoint", PAGES)
def test_every_filter_answers_hostile_input_without_a_server_error(matrix, endpoint):  # noqa: F811
    explore(matrix, endpoint, "get")


def test_the_explorer_finds_the_forms(matrix):  # noqa: F811
    """The crawl is not empty: the main creation forms are among those it explores. And
    each POST form carries a single-use submission key (``portal.submissions``)."""
    found, keyless = set(), set()
    for endpoint in PAGES:
        role = opener(endpoint)
        with matrix.case() as client:
            url, page = open_page(matrix, client, endpoint, role)
            if page.status_code == 200 and page.mimetype == "text/html":
                posted = [f for f in forms_of(page.text, url) if f.method == "post"]
                found |= {urlsplit(f.action).path for f in posted}
                keyless |= {
                    urlsplit(f.action).path
                    for f in posted
                    if "submission_key" not in {name for name, _kind, _values in f.fields}
                }
    assert len(found) >= 40, sorted(found)
    for path in ("/cases/households/new", "/login"):
        assert path in found, sorted(found)
    assert not keyless, f"POST forms without a submission key: {sorted(keyless)}"


def plausible_values(form: Form, token: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """What a careful person would send: the page's own choices and hidden values, dates
    that make sense, and a distinctive text in every text box (returned apart, by field)."""
    today = date.today()
    values, typed, seen = [], {}, set()
    for name, kind, offered in form.fields:
        if kind in ("checkbox", "radio") and name in seen:
            continue
        seen.add(name)
        first = next((v for v in offered if v), offered[0] if offered else "")
        if kind in ("text", "textarea", "search") and not first:
            typed[name] = f"{token} {name} « é » 😀"
            value = typed[name]
        elif name == "month":
            value = f"{today:%m/%Y}"
        elif kind == "date":
            value = "1985-04-12" if "birth" in name else (today + timedelta(days=7)).isoformat()
        else:
            value = {
                "month": f"{today:%Y-%m}",
                "time": "14:00",
                "email": "essai@exemple.org",
                "url": "https://visio.exemple.fr/salle",
                "tel": "06 12 34 56 78",
                "number": first or "2",
            }.get(kind, first)
        values.append((name, value))
    return values, typed


def stored_texts(texts: set[str]) -> set[str]:
    """Which of ``texts`` some text column of some table holds, exactly."""
    found = set()
    for table in db.metadata.sorted_tables:
        columns = [
            c
            for c in table.columns
            if isinstance(c.type, sa.String) and not isinstance(c.type, sa.Enum)
        ]
        if columns and texts - found:
            query = sa.select(*columns).where(sa.or_(*(c.in_(texts - found) for c in columns)))
            for row in db.session.execute(query):
                found |= set(row) & texts
    return found


def test_an_accepted_submission_stores_what_was_typed(matrix):  # noqa: F811
    """Every form, sent as a careful person would: when it is accepted, each text typed is
    stored exactly as typed (trimmed), and the page it leads to opens."""
    accepted, lost, checked, sent = [], [], 0, set()
    for endpoint in PAGES:
        role = opener(endpoint)
        with matrix.case() as client:
            url, page = open_page(matrix, client, endpoint, role)
            forms = (
                []
                if page.status_code != 200 or page.mimetype != "text/html"
                else [f for f in forms_of(page.text, url) if f.method == "post"]
            )
        for index, form in enumerate(forms):
            same = (urlsplit(form.action).path, tuple(name for name, *_ in form.fields))
            if same in sent:  # the sign-out button of every page, sent once
                continue
            sent.add(same)
            where = f"POST {form.action} (form {index} of {endpoint}, as {role})"
            values, typed = plausible_values(form, f"Essai{index}")
            with matrix.case() as client:
                enter(matrix, client, role)
                response = client.post(form.action, data=MultiDict(values), buffered=True)
                assert response.status_code < 500, f"{where}: {response.status_code}"
                if response.status_code not in (302, 303):
                    continue
                accepted.append(where)
                checked += bool(typed)
                missing = set(typed.values()) - stored_texts(set(typed.values()))
                lost += [f"{where}: {name}" for name, text in typed.items() if text in missing]
                following = client.get(response.location, buffered=True)
                assert following.status_code < 500, f"{where} → {response.location}"
    assert len(accepted) >= 40 and checked >= 20, (checked, accepted)
    assert not lost, "accepted, but not stored as typed:\n" + "\n".join(lost)
