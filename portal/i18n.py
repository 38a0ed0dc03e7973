"""Translation helpers. The source strings are in French (they are the msgids); an English
catalogue can follow in ``translations/en`` (see the Makefile's ``translations-*`` targets).

- ``_`` / ``gettext``: request-time code (views, services, e-mails sent by the cron jobs:
  those run in an app context and get the default locale, French).
- ``_l`` / ``lazy_gettext``: anything defined at import time (form labels, enum labels,
  module constants). Unlike Flask-Babel's own lazy strings, ours are escaped like a plain
  ``str`` when rendered in HTML: Flask-Babel's ``LazyString.__html__`` marks the text as safe,
  which would turn "Date d'entrée" into ``d'entrée`` instead of ``d&#39;entrée``.
- ``ngettext``: a message that has no translation follows the French plural rule of its
  source text (0 and 1 take the singular), so "0 situation" stays as written.
"""

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_translations
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

# ``?lang=`` chooses among config LANGUAGES; the choice is kept in the session.
SESSION_KEY = "lang"


_CACHE = "_portal_translations"


def translations():
    """The catalogue of the request's language, looked up once per request (or app context):
    Flask-Babel looks it up again at each call, through several context look-ups, and a long
    page translates a few hundred strings."""
    if not g:  # outside any app context
        return get_translations()
    found = g.get(_CACHE)
    if found is None:
        found = get_translations()
        setattr(g, _CACHE, found)
    return found


def gettext(string: str, **variables) -> str:
    translated = translations().ugettext(string)
    return translated % variables if variables else translated


class LazyText(LazyString):
    """A lazily translated string, escaped in templates like an ordinary ``str``."""

    def __html__(self) -> Markup:
        return escape(str(self))


def lazy_gettext(string: str, **variables) -> LazyText:
    return LazyText(gettext, string, **variables)


def _plural(singular: str, plural: str, num: int) -> str:
    translated = translations().ungettext(singular, plural, num)
    if translated in (singular, plural):  # no translation: the French source text
        translated = singular if num < 2 else plural
    return translated


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return _plural(singular, plural, num) % variables


def N_(string: str) -> str:
    """Marks a module constant for extraction only: it stays a plain ``str`` (compared,
    imported by tests) and is translated where it is used, with ``_(CONSTANT)``."""
    return string


_ = gettext
_l = lazy_gettext


def select_locale() -> str | None:
    """``?lang=en`` (or ``fr``) is remembered in the session. Only a locale that has a
    compiled catalogue (or the default) is used; otherwise, and outside requests, French.

    The browser's Accept-Language is deliberately not followed: Chromium sends ``en-US``,
    and until the English catalogue is complete that would give English dates and number
    formats around French text."""
    if not has_request_context():
        return None
    wanted = request.args.get("lang")
    if wanted in current_app.config["LANGUAGES"]:
        session[SESSION_KEY] = wanted
    # ``in`` does not mark the session as accessed (no "Vary: Cookie" for nothing).
    if SESSION_KEY not in session:
        return None
    available = {
        str(locale) for locale in current_app.extensions["babel"].instance.list_translations()
    }
    chosen = session[SESSION_KEY]
    return chosen if chosen in available else None


def init_app(app: Flask) -> None:
    """Install the French-aware ``ngettext`` for ``{% trans count=… %}`` blocks
    (Flask-Babel installed the other callables)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # jinja2.ext.i18n adds it
        gettext=lambda s: translations().ugettext(s),
        # Jinja formats the result itself (newstyle gettext).
        ngettext=_plural,
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
