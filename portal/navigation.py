"""The top navigation, built for its reader: at most seven entries, grouped by what people
do (households, committees, housing, piloting, administration), each link shown only to
who may use it. Templates render what this module answers; they decide nothing."""

from dataclasses import dataclass, field

from flask import url_for

from portal import permissions
from portal.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class Link:
    label: str
    endpoint: str
    # Endpoints (or prefixes ending with ".") for which this link is the current page.
    current_for: tuple[str, ...] = ()
    kwargs: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return url_for(self.endpoint, **self.kwargs)

    def is_current(self, endpoint: str) -> bool:
        return any(
            endpoint.startswith(p) if p.endswith(".") else endpoint == p
            for p in self.current_for or (self.endpoint,)
        )


@dataclass(frozen=True)
class Entry:
    """A top-level entry: one link, or a group of links under a heading."""

    label: str
    links: tuple[Link, ...]

    def is_current(self, endpoint: str) -> bool:
        return any(link.is_current(endpoint) for link in self.links)

    @property
    def single(self) -> Link | None:
        return self.links[0] if len(self.links) == 1 else None


# Recording a meeting's decisions and actions belongs to the meetings, not to « Mes actions ».
MEETING_SIDE_ACTIONS = (
    "actions.new_decision",
    "actions.new_action",
    "actions.decision",
    "actions.edit_decision",
)
MAX_ENTRIES = 7


def staff_entries(user) -> list[Entry]:
    households = [
        Link(
            _l("Situations"),
            "cases.index",
            ("cases.index", "cases.new", "cases.show", "cases.edit"),
        ),
    ]
    if permissions.can_post_cases(user):
        households.append(
            Link(
                _l("Dossiers des ménages"),
                "cases.households",
                (
                    "cases.households",
                    "cases.household",
                    "cases.new_household",
                    "cases.edit_household",
                    "cases.information",
                    "cases.access_log_page",
                ),
            )
        )
    if permissions.can_use_candidacies(user):
        households.append(Link(_l("Candidatures SIAO"), "candidacies.index", ("candidacies.",)))
    committees = [
        Link(_l("Réunions"), "meetings.index", ("meetings.", "minutes.", *MEETING_SIDE_ACTIONS)),
        Link(_l("Mes actions"), "actions.index", ("actions.index", "actions.show")),
        Link(_l("Instances"), "committees.index", ("committees.",)),
    ]
    housing = []
    if permissions.can_list_measures(user):
        housing.append(Link(_l("Mesures IML"), "measures.index", ("measures.",)))
    if permissions.can_view_programmes(user):
        housing.append(
            Link(
                _l("Programmes"),
                "units.programmes",
                (
                    "units.programmes",
                    "units.programme",
                    "units.new_programme",
                    "units.edit_programme",
                ),
            )
        )
    if permissions.can_list_units(user):
        housing.append(
            Link(
                _l("Logements"),
                "units.units",
                ("units.units", "units.unit", "units.new_unit", "units.edit_unit"),
            )
        )
    if permissions.can_manage_offers(user):
        housing.append(
            Link(
                _l("Offres des propriétaires"),
                "owners.offers",
                ("owners.offer", "owners.offers", "owners.checklist"),
            )
        )
    piloting = []
    if permissions.can_view_reports(user):
        piloting.append(Link(_l("Rapports"), "reports.index", ("reports.",)))
    administration = [
        Link(
            _l("Partenaires"), "organisations.index", ("organisations.", "notifications.recipients")
        )
    ]
    if permissions.can_edit_rules(user):
        administration.append(
            Link(
                _l("Règles des offres"),
                "owners.rules_index",
                ("owners.rules_index", "owners.rule_new", "owners.ceiling_new"),
            )
        )
    if permissions.is_coordinator(user):
        administration.append(
            Link(_l("E-mails non distribués"), "outbox.undelivered_list", ("outbox.",))
        )
    groups = [
        (_l("Ménages"), households),
        (_l("Comités"), committees),
        (_l("Logement"), housing),
        (_l("Pilotage"), piloting),
        (_l("Administration"), administration),
    ]
    return [Entry(label, tuple(links)) for label, links in groups if links]


def navigation_for(user) -> list[Entry]:
    """The entries between the dashboard and the account, for ``user``."""
    if user is None or not user.is_authenticated:
        return [
            Entry(
                _l("Propriétaires"),
                (Link(_l("Propriétaires"), "owners.index", ("owners.",)),),
            )
        ]
    if permissions.is_private_owner(user):
        return [
            Entry(_l("Mes offres"), (Link(_l("Mes offres"), "owners.my_offers", ("owners.",)),))
        ]
    return staff_entries(user) if permissions.is_staff(user) else []


def header_for(user) -> dict:
    """What the page header shows: the navigation (None while signing in), and for staff
    the organisation they act for, with the switcher if they have several."""
    from flask import g

    from portal.organisations.acting import acting_organisation
    from portal.organisations.forms import ActingOrganisationForm

    if user.is_authenticated and g.get("sign_in_step"):
        return {"navigation": None, "acting_organisation": None, "acting_form": None}
    acting, form = None, None
    if permissions.is_staff(user):
        acting = acting_organisation(user)
        organisations = [m.organisation for m in user.active_memberships]
        if acting is not None and len(organisations) > 1:  # acting: None without any
            form = ActingOrganisationForm(
                organisations=organisations, organisation_id=acting.id, formdata=None
            )
    return {"navigation": navigation_for(user), "acting_organisation": acting, "acting_form": form}
