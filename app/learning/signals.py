"""Events other domains listen to (certificates, tiers): sent after the change is committed."""
from blinker import Namespace

_signals = Namespace()

# Sent exactly once per learner and course, after the commit, by the app: kwargs user_id,
# course_id, grants_certificate, completed_at (plain values, no ORM objects).
course_completed = _signals.signal("course-completed")
