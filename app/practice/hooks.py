"""What practice asks the rooms above it (app/hooks.py); they provide the answers.

Assignments are reviewed by people practice cannot name by itself: her mentor, when the tier
rules say the mentor's tier reviews (referrals), else the course's trainers (authoring)."""
from ..hooks import Hook

# (learner's user id) -> her direct mentor's user id when the mentor's tier has
# `reviews_assignments: true` in the tier rules, else None. Provided by referrals
# (referrals.tiers.assignment_reviewer).
assignment_reviewer = Hook("practice.assignment_reviewer")

# (course id) -> the user ids of the trainers granted the course (the review queue's
# people besides admins). Provided by authoring (authoring.grants.course_trainer_ids).
course_trainers = Hook("practice.course_trainers")

# (image bytes) -> (bytes, content type, width, height) re-encoded by the upload pipeline
# (EXIF dropped, decompression bombs and non-images refused with ValueError(message in the
# reader's language)). Provided by authoring (authoring.uploads.clean_photo).
clean_photo = Hook("practice.clean_photo")
