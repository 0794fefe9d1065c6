"""Statistics services, one module per page and seam.

Every page has a live path (plain aggregate queries over the raw tables) and reads a roll-up
instead when one exists: the dashboard's cube (DailyFigures) and JSON snapshots of the other
pages, rebuilt together by refresh.refresh_statistics(). The live path computes what the
roll-up stores, which is how the tests prove the two agree.

periods    local days and weeks, durations, in either database's SQL
filters    the page filters and the learner scope they put on a statement
dashboard  the admin statistics dashboard (live or from the cube)
funnel     the per-course module funnel
items      the per-quiz item analysis
mentors    the mentor ranking and the tier history
refresh    rebuilding every roll-up
"""
