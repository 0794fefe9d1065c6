"""Every domain's models, imported in one place so the metadata is complete."""
from .accounts.models import AccountAudit, User  # noqa: F401
from .learning.models import Course, Enrolment, Lesson, LessonProgress, LessonText, Module  # noqa: F401
from .quizzes.models import Attempt, AttemptAnswer, Quiz, QuizVersion  # noqa: F401
from .practice.models import (Assignment, AssignmentVersion, KeptTemplate,  # noqa: F401
                              ReviewReminder, Scenario, ScenarioPlay, ScenarioVersion,
                              Submission, SubmissionImage, SubmissionReview, SubmissionVersion)
from .certificates.models import Certificate  # noqa: F401
from .notifications.models import Notification  # noqa: F401
from .outbox.models import OutboxMessage  # noqa: F401
from .referrals.models import MentorChange, RulesVersion, TierChange, TreeNode  # noqa: F401
from .api.models import ApiToken, WebhookDelivery  # noqa: F401
from .ledger import models as ledger_indexes  # noqa: F401  (indexes on the tables above)
from .authoring.models import (CourseGrant, CourseVersion, DraftAsset, DraftFile,  # noqa: F401
                               StagedImport, StoredBlob, StoredFile)
# Every room's privacy provider (app/privacy.py): what it exports and anonymises for a person.
from .accounts import privacy as accounts_privacy  # noqa: F401,E402
from .learning import privacy as learning_privacy  # noqa: F401,E402
from .quizzes import privacy as quizzes_privacy  # noqa: F401,E402
from .practice import privacy as practice_privacy  # noqa: F401,E402
from .certificates import privacy as certificates_privacy  # noqa: F401,E402
from .notifications import privacy as notifications_privacy  # noqa: F401,E402
from .referrals import privacy as referrals_privacy  # noqa: F401,E402
from .api import privacy as api_privacy  # noqa: F401,E402
from .authoring import privacy as authoring_privacy  # noqa: F401,E402
