"""Every column that points at a person is some room's to export and anonymise: a new table
with a foreign key to users fails here until a privacy provider covers it."""
from app.transactions import unit_of_work
from app import privacy
from app.extensions import db


def test_every_foreign_key_to_users_is_covered_by_a_privacy_provider(app):
    with unit_of_work(app):
        pointing = {f"{table.name}.{column.name}"
                    for table in db.metadata.sorted_tables for column in table.columns
                    for key in column.foreign_keys if key.column.table.name == "users"}
    covered = set().union(*(p.covers for p in privacy.providers()))
    assert pointing - covered == set(), "add these to a domain's privacy.py provider"
    assert covered - pointing == set(), "these covered columns do not exist (renamed?)"


def test_every_room_that_keeps_personal_rows_has_its_own_provider():
    names = {p.name for p in privacy.providers()}
    assert {"accounts", "learning", "quizzes", "certificates", "notifications", "referrals",
            "api", "authoring"} <= names
