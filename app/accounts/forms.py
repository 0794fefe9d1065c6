"""Account forms (Flask-WTF: every one carries a CSRF token)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length

from .passwords import MAX_LENGTH

LANGUAGE_CHOICES = [SelectChoice("zh", "简体中文"), SelectChoice("en", "English")]

# What each box is, for browsers, phone keyboards and password managers (the macro renders
# these; it never writes an attribute without a value).
# The login box takes a phone number OR an email address. type="tel" would give a dial pad
# with no letters (iOS has no way to type an email on it), type="email" makes some browsers
# refuse or rewrite "138 0013 8000". So: a text box with inputmode="email": the Latin
# keyboard with "@" and digits one key away, which most Chinese input methods open in their
# Latin mode, so digits don't arrive full-width. No capitals, no autocorrect.
LOGIN_BOX = {"autocomplete": "username", "inputmode": "email", "autocapitalize": "none",
             "spellcheck": "false"}
# A shown password (the show/hide button) must not be capitalised, corrected or learnt.
SECRET = {"autocapitalize": "none", "spellcheck": "false"}
CURRENT_PASSWORD = {"autocomplete": "current-password", **SECRET}
NEW_PASSWORD = {"autocomplete": "new-password", **SECRET}
NAME_BOX = {"autocomplete": "name"}


class LoginForm(FlaskForm):
    login = StringField(_l("Phone number or email"), validators=[DataRequired(), Length(max=254)],
                        render_kw=LOGIN_BOX)
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                             render_kw=CURRENT_PASSWORD)


class RegisterForm(FlaskForm):
    login = StringField(_l("Phone number or email"), validators=[DataRequired(), Length(max=254)],
                        render_kw=LOGIN_BOX)
    display_name = StringField(_l("Your name (shown to your mentor and on certificates)"),
                               validators=[DataRequired(), Length(max=64)], render_kw=NAME_BOX)
    password = PasswordField(_l("Password (at least 8 characters)"),
                             validators=[DataRequired(), Length(max=MAX_LENGTH)],
                             render_kw=NEW_PASSWORD)
    language = RadioField(_l("Language"), choices=LANGUAGE_CHOICES, default="zh")
    # Codes are letters and digits read off a poster or a chat: not a word to autocorrect.
    invite_code = StringField(_l("Invite code from your mentor"), validators=[Length(max=32)],
                              render_kw={"autocomplete": "off", "autocapitalize": "characters",
                                         "spellcheck": "false"})


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=64)],
                               render_kw=NAME_BOX)
    language = RadioField(_l("Language"), choices=LANGUAGE_CHOICES)


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=MAX_LENGTH)],
                                     render_kw=CURRENT_PASSWORD)
    new_password = PasswordField(_l("New password (at least 8 characters)"),
                                 validators=[DataRequired(), Length(max=MAX_LENGTH)],
                                 render_kw=NEW_PASSWORD)


class LanguageForm(FlaskForm):
    language = RadioField(choices=LANGUAGE_CHOICES)


class ForgotPasswordForm(FlaskForm):
    login = StringField(_l("Email address or phone number"),
                        validators=[DataRequired(), Length(max=254)], render_kw=LOGIN_BOX)


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(_l("New password (at least 8 characters)"),
                                 validators=[DataRequired(), Length(max=MAX_LENGTH)],
                                 render_kw=NEW_PASSWORD)
