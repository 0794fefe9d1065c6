"""The authoring room's errors: a trainer's request that can't be done (the message is
shown to her; the view that shows it picks the status, 422 for most)."""
from flask_babel import lazy_gettext as _l

from ..domain_errors import ErrorCatalog

authoring_errors = ErrorCatalog("authoring", {
    # Who may edit
    "no_such_person": _l("Nobody has that email or phone number."),
    "not_a_trainer": _l("Only trainers can be given a course. Change their role first."),
    "may_not_edit": (_l("You may not edit the course '%(slug)s'."), 403),
    # The draft's files
    "not_a_course_file": _l("'%(path)s' is not a file of the course format (course.md, "
                            "NN-module/module.md, NN-module/NN-lesson.zh.md, "
                            "NN-module/quiz.en.md …)."),
    "text_too_large": (_l("The text is larger than %(size)s. Split it into two lessons."), 413),
    "course_file_stays": _l("course.md holds the course's settings and can't be removed."),
    "bad_slug": _l("The short name may only use a-z, 0-9 and '-'."),
    "module_exists": _l("The course already has a module '%(slug)s'."),
    "no_such_module": _l("There is no such module in the draft."),
    "lesson_exists": _l("The course already has a lesson '%(slug)s' (short names are "
                        "unique in a course: they keep learners' progress)."),
    "course_exists": _l("A course '%(slug)s' already exists."),
    "title_required": _l("Give it a title in at least one language."),
    "revision_missing": _l("This form is missing the file's revision; reload the page."),
    # Publishing
    "draft_has_errors": _l("The draft has errors. Fix them before publishing."),
    "nothing_to_publish": _l("Nothing to publish: the draft is the same as the published version."),
    # Zip export and import
    "image_missing": _l("The image %(path)s is missing from storage."),
    "never_published": _l("This course has no published version yet."),
    "already_applied": _l("This upload was already applied."),
    "not_your_upload": _l("Only the person who uploaded it can apply this upload."),
    "upload_outdated": _l("The upload no longer passes the checks. Upload it again."),
    "published_since_upload": _l("Someone published this course after you uploaded the zip. "
                                 "Upload it again to see what it would change now."),
}, status=422)
