"""Indexes the ledger reads through: each event source in time order, with a unique tie-break.

They live here, beside the queries that need them, and attach themselves to the other rooms'
tables. Every ledger page is one backward range scan per source (keyset pagination), so a
page costs the same on the first day and at millions of rows.
"""
from sqlalchemy import Index

from ..certificates.models import Certificate
from ..learning.models import LessonProgress
from ..practice.models import ScenarioPlay, SubmissionReview
from ..quizzes.models import Attempt

# (time, key...) matches the ledger's ORDER BY and the row-value keyset condition exactly.
lesson_read_order = Index("ix_lesson_progress_read_at", LessonProgress.read_at,
                          LessonProgress.user_id, LessonProgress.lesson_id)
attempt_submitted_order = Index("ix_quiz_attempts_submitted_at", Attempt.submitted_at, Attempt.id)
certificate_issued_order = Index("ix_certificates_issued_at", Certificate.issued_at, Certificate.id)
certificate_revoked_order = Index("ix_certificates_revoked_at", Certificate.revoked_at,
                                  Certificate.id)
assignment_review_order = Index("ix_submission_reviews_reviewed_at", SubmissionReview.reviewed_at,
                                SubmissionReview.id)
scenario_play_finished_order = Index("ix_scenario_plays_finished_at", ScenarioPlay.finished_at,
                                    ScenarioPlay.id)
