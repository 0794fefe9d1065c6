"""Quizzes: the quiz file format, grading, attempts, gating, GIFT import."""
