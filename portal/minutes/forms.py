from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from portal.case_content import ItemView
from portal.forms import BaseForm, max_length, required
from portal.i18n import N_, _, _l
from portal.minutes.services import GENERAL_NOTES_MAX, ITEM_NOTES_MAX, REASON_MAX

BAD_VERSION = N_(
    "Le formulaire ne dit pas sur quelle version du compte rendu il a été rempli : "
    "rechargez la page. Votre texte est conservé ci-dessous, copiez-le avant."
)


def parse_version(value) -> int | None:
    """The version a form was loaded at: a whole number, or None when unreadable."""
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return None
    return int(text)


class VersionField(HiddenField):
    """The version of the minutes the form was based on (0: not written yet)."""

    def pre_validate(self, form):
        if parse_version(self.data) is None:
            raise ValidationError(_(BAD_VERSION))

    @property
    def version(self) -> int | None:
        return parse_version(self.data)


class MinutesForm(BaseForm):
    editable_items: list[ItemView] = []  # set by ``minutes_form``
    blind_items: list[ItemView] = []

    version = VersionField()
    general_notes = TextAreaField(
        _l("Notes générales"),
        validators=[max_length(GENERAL_NOTES_MAX)],
        description=_l(
            "Lues par tous les invités : n'y parlez d'aucune situation (écrivez-le dans les "
            "notes de son point). Participants, points d'information, calendrier. Restez "
            "factuel : aucune information de santé ni judiciaire."
        ),
    )
    submit = SubmitField(_l("Enregistrer"))

    @property
    def item_notes(self) -> dict[int, str]:
        return {
            view.item.id: self[f"item_{view.item.id}"].data or "" for view in self.editable_items
        }

    @property
    def item_additions(self) -> dict[int, str]:
        return {view.item.id: self[f"add_{view.item.id}"].data or "" for view in self.blind_items}


def minutes_form(items: list[ItemView], **kwargs) -> MinutesForm:
    """The form, with one text area per agenda item: the notes the writer may read, or,
    on a case not shared with the writer's organisation, a text to add to its notes."""
    editable = [view for view in items if view.shows_notes]
    blind = [view for view in items if not view.shows_notes]

    class Form(MinutesForm):
        editable_items = editable
        blind_items = blind

    for view in editable:
        setattr(
            Form,
            f"item_{view.item.id}",
            TextAreaField(
                _("Notes sur « %(title)s »", title=view.title),
                validators=[max_length(ITEM_NOTES_MAX)],
            ),
        )
    for number, view in enumerate(items, start=1):
        if view in blind:
            setattr(
                Form,
                f"add_{view.item.id}",
                TextAreaField(
                    _(
                        "Ajouter aux notes du point n° %(number)d (%(title)s)",
                        number=number,
                        title=view.title,
                    ),
                    validators=[max_length(ITEM_NOTES_MAX)],
                    description=_(
                        "Cette situation n'est pas partagée avec votre organisation : vous ne "
                        "lisez pas ses notes. Ce que vous écrivez s'y ajoute et n'est lu que "
                        "par les partenaires qui la voient."
                    ),
                ),
            )
    return Form(**kwargs)


class ReopenForm(BaseForm):
    version = VersionField()
    reason = TextAreaField(
        _l("Motif de la réouverture"),
        validators=[required(_l("Indiquez le motif de la réouverture.")), max_length(REASON_MAX)],
        description=_l("Il est conservé avec la version approuvée et visible des lecteurs."),
    )
    submit = SubmitField(_l("Rouvrir le compte rendu"))
