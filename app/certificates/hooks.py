"""What certificates ask the rooms above them (app/hooks.py); they provide the answers."""
from ..hooks import Hook

# (user) -> her next step: every tier's requirements with her standing and the next course,
# for "My certificates". Provided by referrals (referrals.next_step.next_step).
next_step = Hook("certificates.next_step")

# (user, course) -> the course-end moment (her certificate and what comes next), for the page
# a finished course leads to. Provided by referrals (referrals.next_step.course_end).
course_end = Hook("certificates.course_end")
