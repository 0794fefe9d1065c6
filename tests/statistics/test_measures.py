"""The pure maths, each against answers worked out by hand in the test."""
import pytest

from app.statistics import measures


def test_percentile_interpolates_between_closest_ranks():
    values = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5]  # order does not matter
    # Sorted 1..10; median at rank (10-1)*0.5 = 4.5 -> between 5 and 6 -> 5.5.
    assert measures.percentile(values, 0.5) == 5.5
    # p90 at rank 9*0.9 = 8.1 -> 9 + 0.1*(10-9) = 9.1.
    assert measures.percentile(values, 0.9) == pytest.approx(9.1)
    assert measures.percentile([42], 0.9) == 42
    assert measures.percentile([], 0.5) is None


def test_cronbach_alpha_guttman_pattern_kr20():
    # Five people, four right/wrong items in a perfect Guttman pattern.
    matrix = [[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
    # Item p = .8 .6 .4 .2 -> variances p(1-p) = .16 .24 .24 .16, sum 0.8.
    # Totals 4 3 2 1 0: mean 2, variance (4+1+0+1+4)/5 = 2.
    # alpha = 4/3 * (1 - 0.8/2) = 0.8 (KR-20).
    assert measures.cronbach_alpha(matrix) == pytest.approx(0.8)


def test_cronbach_alpha_polytomous_items():
    matrix = [[2, 3, 3], [1, 1, 2], [3, 3, 3], [2, 1, 0]]
    # Item variances: (2,1,3,2) -> 0.5; (3,1,3,1) -> 1.0; (3,2,3,0) -> 1.5; sum 3.0.
    # Totals 8 4 9 3: mean 6, variance (4+4+9+9)/4 = 6.5.
    # alpha = 3/2 * (1 - 3/6.5) = 0.807692...
    assert measures.cronbach_alpha(matrix) == pytest.approx(1.5 * (1 - 3 / 6.5))
    assert measures.cronbach_alpha([[1, 1]]) is None  # one person: undefined
    assert measures.cronbach_alpha([[1, 1], [1, 1]]) is None  # no spread in totals


def test_group_size_is_27_percent():
    assert measures.group_size(100) == 27
    assert measures.group_size(10) == 3  # round(2.7)
    assert measures.group_size(2) == 1
    assert measures.group_size(1) == 0


def test_item_analysis_facility_discrimination_and_flags():
    # Ten people ranked by total (already in descending order). Groups of round(2.7) = 3:
    # upper = p0 p1 p2, lower = p7 p8 p9.
    # q-good: right for p0..p5, wrong for p6..p9 -> facility 0.6, upper 1.0, lower 0.0 -> D 1.0
    # q-easy: right for everyone but p9          -> facility 0.9 (edge: not flagged), D 1-2/3
    # q-flat: right for p0, p2, p7, p9 (4 of 10) -> facility 0.4, upper 2/3, lower 2/3 -> D 0
    # q-hard: right only for p1                  -> facility 0.1 (flagged), D 1/3
    good = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    easy = [1, 1, 1, 1, 1, 1, 1, 1, 1, 0]
    flat = [1, 0, 1, 0, 0, 0, 0, 1, 0, 1]
    hard = [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    people = [{"good": good[i], "easy": easy[i], "flat": flat[i], "hard": hard[i]}
              for i in range(10)]
    totals = [100 - i for i in range(10)]  # the ranking, given explicitly
    wrong = {"good": {"c": 3, "b": 1}, "hard": {"a": 4, "b": 4, "c": 1}}
    result = measures.item_analysis(["good", "easy", "flat", "hard"], people, totals, wrong,
                                    top_wrong=2)
    items = {item.question_id: item for item in result.items}
    assert items["good"].facility == pytest.approx(0.6)
    assert items["good"].discrimination == pytest.approx(1.0)
    assert not items["good"].review
    assert items["easy"].facility == pytest.approx(0.9)
    assert items["easy"].discrimination == pytest.approx(1 - 2 / 3)
    assert not items["easy"].review  # 0.9 is inside the band
    assert items["flat"].facility == pytest.approx(0.4)
    assert items["flat"].discrimination == pytest.approx(0.0)
    assert items["flat"].review and items["flat"].reasons == ["low_discrimination"]
    assert items["hard"].facility == pytest.approx(0.1)
    assert items["hard"].discrimination == pytest.approx(1 / 3)
    assert items["hard"].reasons == ["too_hard"]
    # Most chosen wrong options, most first, ties by key.
    assert items["good"].wrong == [("c", 3), ("b", 1)]
    assert items["hard"].wrong == [("a", 4), ("b", 4)]
    assert result.people == 10 and result.alpha_people == 10


def test_item_analysis_skips_questions_not_shown():
    # Drawn quizzes: p2 never saw q2. Facility over those shown; alpha over complete rows.
    people = [{"q1": 1, "q2": 1}, {"q1": 0, "q2": 0}, {"q1": 1}]
    result = measures.item_analysis(["q1", "q2"], people, [2, 0, 1])
    q1, q2 = result.items
    assert q1.answered == 3 and q1.facility == pytest.approx(2 / 3)
    assert q2.answered == 2 and q2.facility == pytest.approx(0.5)
    assert result.alpha_people == 2


def test_funnel_drop_off():
    steps = measures.funnel([("started", 100), ("read_all", 60), ("passed", 45)])
    assert [(s.count, s.share_of_first, s.drop_from_previous) for s in steps] == [
        (100, 1.0, 0), (60, 0.6, 40), (45, 0.45, 15)]
    assert measures.funnel([("started", 0), ("read_all", 0)])[1].share_of_first is None


def test_mentor_ranking_outcomes_not_head_count():
    outcomes = [
        measures.MentorOutcome(1, mentees=10, certified=5, median_days=4.0),   # 50 %, 4 days
        measures.MentorOutcome(2, mentees=4, certified=4, median_days=1.0),    # too few to rank
        measures.MentorOutcome(3, mentees=20, certified=10, median_days=3.0),  # 50 %, 3 days
        measures.MentorOutcome(4, mentees=6, certified=6, median_days=10.0),   # 100 %
        measures.MentorOutcome(5, mentees=500, certified=5, median_days=1.0),  # 1 %: many invited
        measures.MentorOutcome(6, mentees=5, certified=0, median_days=None),   # 0 %
    ]
    ranked = measures.rank_mentors(outcomes, min_mentees=5)
    assert [o.mentor_id for o in ranked] == [4, 3, 1, 5, 6]


def test_tier_distribution_from_joins_and_changes():
    weeks = ["w1", "w2", "w3"]
    joins = {"w1": 3, "w2": 2}
    changes = {"w2": {("trainee", "certified"): 2}, "w3": {("certified", "mentor"): 1,
                                                          ("certified", "trainee"): 1}}
    result = measures.tier_distribution(weeks, joins, changes, ["trainee", "certified", "mentor"],
                                        "trainee")
    assert result == [{"trainee": 3, "certified": 0, "mentor": 0},
                      {"trainee": 3, "certified": 2, "mentor": 0},
                      {"trainee": 4, "certified": 0, "mentor": 1}]
