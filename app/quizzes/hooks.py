"""What quizzes ask the rooms above them (app/hooks.py), for who may give a learner another
attempt; those rooms provide the answers."""
from ..hooks import Hook

# (user, course) -> may she edit the course (an admin, or a trainer granted it)?
# Provided by authoring (authoring.grants.can_edit).
may_edit_course = Hook("quizzes.may_edit_course")

# (user id) -> her direct mentor's user id, or None. Provided by referrals
# (referrals.services.mentor_id_of).
mentor_id_of = Hook("quizzes.mentor_id_of")

# (user id, course id) -> does she hold a valid (not revoked) certificate of the course?
# Provided by certificates (certificates.services.holds_certificate).
holds_certificate = Hook("quizzes.holds_certificate")
