"""The practice room's errors: plays that are not hers, replies that are not options, and
role-plays whose module is not open yet."""
from flask_babel import lazy_gettext as _l

from ..domain_errors import ErrorCatalog

practice_errors = ErrorCatalog("practice", {
    "not_found": (_l("We could not find that role-play."), 404),
    "unknown_option": _l("That reply is not one of the options. Please reload the page."),
    "locked": (_l("This role-play opens with its module: finish the module before it first."), 403),
})

# Assignments: work that is not hers, hand-ins that break the assignment's limits, reviews
# that come too late.
assignment_errors = ErrorCatalog("assignments", {
    "not_found": (_l("We could not find that assignment or submission."), 404),
    "locked": (_l("This assignment opens with its module: finish the module before it first."),
               403),
    "too_long": (_l("Your text has %(count)s characters; this assignment takes at most "
                    "%(limit)s. Please shorten it."), 413),
    "empty": _l("Write your work in the box before handing it in."),
    "approved": (_l("This work is approved already: you find it in My templates, ready to "
                    "copy."), 409),
    "waiting": (_l("This work is waiting for review: you can change it again when the review "
                   "asks for a revision."), 409),
    "too_many_images": _l("This assignment takes at most %(limit)s pictures. Remove one first."),
    "bad_image": _l("That picture could not be used: %(reason)s"),
    "no_image": _l("Choose a picture to attach."),
    "already_reviewed": (_l("This version was already reviewed by someone else: nothing more "
                            "was recorded. Their review is shown below."), 409),
    "no_decision": _l("Choose whether to approve the work or ask for a revision."),
    "score_missing": _l("Choose a level for every criterion."),
    "below_min_points": _l("%(points)s points are fewer than the %(minimum)s this assignment "
                           "needs for approval: ask for a revision instead."),
    "comment_needed": _l("When you ask for a revision, write in the comment what to change."),
    "no_template": (_l("This lesson has no such template."), 404),
})
