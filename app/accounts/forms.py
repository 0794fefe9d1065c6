"""Account forms (Flask-WTF: every one carries a CSRF token)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length

from .passwords import MAX_LENGTH

LANGUAGE_CHOICES = [SelectChoice("zh", "简体中文"), SelectChoice("en", "English")]


class LoginForm(FlaskForm):
    login = StringField(_l("Phone number or email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])


class RegisterForm(FlaskForm):
    login = StringField(_l("Phone number or email"), validators=[DataRequired(), Length(max=254)])
    display_name = StringField(_l("Your name (shown to your mentor and on certificates)"),
                               validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password (at least 8 characters)"),
                             validators=[DataRequired(), Length(max=MAX_LENGTH)])
    language = RadioField(_l("Language"), choices=LANGUAGE_CHOICES, default="zh")
    invite_code = StringField(_l("Invite code from your mentor"), validators=[Length(max=32)])


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=64)])
    language = RadioField(_l("Language"), choices=LANGUAGE_CHOICES)


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=MAX_LENGTH)])
    new_password = PasswordField(_l("New password (at least 8 characters)"),
                                 validators=[DataRequired(), Length(max=MAX_LENGTH)])


class LanguageForm(FlaskForm):
    language = RadioField(choices=LANGUAGE_CHOICES)


class ForgotPasswordForm(FlaskForm):
    login = StringField(_l("Email address or phone number"),
                        validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(_l("New password (at least 8 characters)"),
                                 validators=[DataRequired(), Length(max=MAX_LENGTH)])
