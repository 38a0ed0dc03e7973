from wtforms import SubmitField, TextAreaField

from portal.documents.catalogue import Wording
from portal.forms import BaseForm, max_length
from portal.i18n import _l


def wording_form(wording: Wording, texts: dict[str, str], formdata=None) -> BaseForm:
    """One text area per passage of the wording group, filled with the text in use."""

    class WordingForm(BaseForm):
        submit = SubmitField(_l("Enregistrer les textes"))

    for passage in wording.passages:
        setattr(
            WordingForm,
            passage.key,
            TextAreaField(passage.label, validators=[max_length(4000)]),
        )
    form = WordingForm(formdata=formdata)
    if formdata is None:
        for passage in wording.passages:
            form[passage.key].data = texts[passage.key]
    return form
