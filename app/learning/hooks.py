"""What learning asks the rooms above it (app/hooks.py); they provide the answers."""
from ..hooks import Hook

# (module ids) -> {module id: quiz id} for every module with a visible quiz. Content, so the
# answer is cached with the course's outline (its key moves with every publish).
# Provided by quizzes (quizzes.services.visible_quizzes).
visible_quizzes = Hook("learning.visible_quizzes")

# (user id, quiz ids) -> a SELECT of one column: the ids among them the user has passed (any
# version). A query, not rows, so the outline reads all of a learner's progress in one
# statement. Provided by quizzes (quizzes.services.passed_quizzes).
passed_quizzes = Hook("learning.passed_quizzes")

# (user, course slug) -> the tier that unlocks the course while she has not reached it, else
# None. Provided by referrals (referrals.tiers.course_locked_for).
course_locked_for = Hook("learning.course_locked_for")

# (user_id or None, module ids) -> {module id: [ScenarioFact | AssignmentFact, ...]} for
# every module with a visible role-play scenario or assignment (each fact has a `kind`,
# `required` and `passed`: an assignment passes when approved). Provided by practice
# (practice.services.scenario_facts).
scenario_facts = Hook("learning.scenario_facts")
