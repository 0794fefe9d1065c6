"""What learning asks the rooms above it (app/hooks.py); they provide the answers."""
from ..hooks import Hook

# (user_id or None, module ids) -> {module id: passed?} for every module with a visible quiz.
# Provided by quizzes (quizzes.services.quiz_facts).
quiz_facts = Hook("learning.quiz_facts")

# (user, course slug) -> the tier that unlocks the course while she has not reached it, else
# None. Provided by referrals (referrals.tiers.course_locked_for).
course_locked_for = Hook("learning.course_locked_for")

# (user_id or None, module ids) -> {module id: [ScenarioFact, ...]} for every module with a
# visible role-play scenario. Provided by practice (practice.services.scenario_facts).
scenario_facts = Hook("learning.scenario_facts")
