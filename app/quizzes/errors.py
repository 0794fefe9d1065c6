"""The quizzes room's errors: attempts that can't be started, answers that can't be read,
attempts that can't be given."""
from flask_babel import lazy_gettext as _l

from ..domain_errors import ErrorCatalog

quiz_errors = ErrorCatalog("quizzes", {
    "not_found": (_l("We could not find that quiz attempt."), 404),
    "locked": (_l("This quiz opens when you have read every lesson of the module."), 403),
    "already_passed": (_l("You have already passed this quiz."), 409),
    "no_attempts_left": (_l("You have used all your attempts for this quiz. Your mentor or a trainer can help you review."), 409),
    # The view fills in the time (the error's detail) in the reader's time zone.
    "cooldown": (_l("You can try again at %(time)s. Use the time to review the lessons."), 409),
    "closed": (_l("This attempt has already been submitted; your answers are saved in its result."), 409),
    "unknown_question": _l("That question is not part of this attempt."),
    "unknown_option": _l("That answer is not one of the options. Please reload the page."),
    "too_long": _l("That answer is too long (at most 500 characters)."),
    "bad_answer": _l("That answer could not be read. Please try again."),
    "has_attempts": (_l("This learner still has attempts left (or the quiz has no limit): there is nothing to give yet."), 409),
    "already_granted": (_l("Someone has just given this learner another attempt."), 409),
    "mentor_grant_limit": (_l("You have already given this learner two more attempts at this quiz. A trainer of the course can give more."), 409),
    "reason_required": _l("Please give the reason (kept in the audit record)."),
    "reason_too_long": _l("The reason can have at most 500 characters."),
})
