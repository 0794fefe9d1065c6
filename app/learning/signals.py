"""Events other domains listen to (certificates, tiers): sent after the change is committed."""
from blinker import Namespace

_signals = Namespace()

# Sent exactly once per learner and course: kwargs user_id, course_id, completed_at.
course_completed = _signals.signal("course-completed")
