"""The public verify form: a certificate code, or a credential pasted or uploaded."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

MAX_CREDENTIAL_BYTES = 64 * 1024  # ours are about 3 KB; anything far larger is not one of ours


class VerifyForm(FlaskForm):
    code = StringField(_l("Certificate code"), validators=[Optional(), Length(max=80, message=_l(
                           "A certificate code is 28 characters (at most 80 with spaces and dashes)."))],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters",
                                  "spellcheck": "false", "placeholder": "XXXX-XXXX-XXXX-…"})
    credential = TextAreaField(_l("Or paste the credential (JSON)"),
                               validators=[Optional(), Length(max=MAX_CREDENTIAL_BYTES, message=_l(
                                   "This is too large to be a credential (at most 64 KB)."))],
                               render_kw={"rows": 5, "spellcheck": "false", "autocapitalize": "none"})
    upload = FileField(_l("Or choose the credential file (.json)"),
                       render_kw={"accept": ".json,application/json,application/ld+json,application/vc"})
