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

# (module ids) -> {module id: (fact, ...)} for every module with a visible role-play scenario
# or assignment: its content (each fact has a `kind`, `required` and `passed`, False here),
# cached with the course's outline like the quizzes. Provided by practice
# (practice.services.visible_scenarios).
visible_scenarios = Hook("learning.visible_scenarios")

# (user id, scenario ids) -> a SELECT of one text column, a row per scenario she finished:
# "id:passed:best" (passed 1 or 0, her best percent or empty). A query, not rows, so the
# outline reads it in its one progress statement. Provided by practice
# (practice.services.scenario_results).
scenario_results = Hook("learning.scenario_results")

# (user id, assignment ids) -> a SELECT of one text column, a row per assignment she has
# work for: "id:state" ("approved" once any of it was approved, else her open work's state).
# In the same progress statement. Provided by practice (practice.services.assignment_results).
assignment_results = Hook("learning.assignment_results")
