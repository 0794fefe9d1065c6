"""Events other domains listen to (certificates, tiers)."""
from blinker import Namespace

_signals = Namespace()

# Sent exactly once per learner and course, inside the transaction that records the
# completion: receivers only write rows (outbox.add), which commit with it. kwargs:
# user_id, course_id, grants_certificate, completed_at (plain values, no ORM objects).
course_completed = _signals.signal("course-completed")
