"""Statistics for operators: completion dashboard, funnels, item analysis, mentor outcomes."""
