"""The role-play statistics' maths on hand-made numbers, each answer worked out by hand."""
from app.statistics import measures
from app.statistics.roleplay_measures import (decision, five_numbers, histogram,
                                              quantile_from_counts)


def test_quantiles_from_a_count_table_are_the_expanded_lists_quantiles():
    # Empathy percents 0, 67, 67, 75 (four learners). Linear interpolation, n - 1 = 3:
    # p25 at rank 0.75: 0 + 0.75 * (67 - 0) = 50.25; median at rank 1.5: 67 + 0.5 * 0 = 67;
    # p75 at rank 2.25: 67 + 0.25 * (75 - 67) = 69.
    counts = {67: 2, 0: 1, 75: 1}
    assert five_numbers(counts) == {"n": 4, "min": 0, "p25": 50.25, "median": 67,
                                    "p75": 69, "max": 75}
    # The same definition as the list version (and PostgreSQL's percentile_cont).
    for q in (0, 0.1, 0.25, 0.5, 0.9, 1):
        assert quantile_from_counts(counts, q) == measures.percentile([0, 67, 67, 75], q)
    # One value: every quantile is it. Empty or all-zero counts: nothing.
    assert five_numbers({40: 3})["p25"] == 40 and five_numbers({40: 3})["max"] == 40
    assert five_numbers({}) is None and five_numbers({10: 0}) is None
    assert quantile_from_counts({}, 0.5) is None


def test_histogram_bands_include_both_edges():
    # 19 -> band 0; 20 -> 1; 59 and 40 -> 2; 80 and 100 -> 4; 100 is in the last band.
    assert histogram({19: 1, 20: 2, 40: 1, 59: 1, 80: 1, 100: 3}) == [1, 2, 2, 0, 4]
    assert histogram({}) == [0, 0, 0, 0, 0]


def test_the_reply_most_learners_pick_being_weaker_than_the_best_is_flagged():
    # Options worth 3, 0 and 1 point; chosen by 1, 2 and 1 learners: the most chosen (index
    # 1, 0 points) is not the best (index 0, 3 points): flagged, with 4 >= minimum 3.
    result = decision("start", [3, 0, 1], {0: 1, 1: 2, 2: 1}, minimum=3)
    assert result.learners == 4 and result.judged and result.flagged
    assert [o.share for o in result.options] == [0.25, 0.5, 0.25]
    assert [o.best for o in result.options] == [True, False, False]
    # Too few learners: shown, never flagged.
    small = decision("start", [3, 0, 1], {0: 1, 1: 2, 2: 1}, minimum=5)
    assert not small.judged and not small.flagged
    # A tie between a weak and the best reply is not flagged (a best reply is among the
    # most chosen); two best replies: either being most chosen is fine.
    assert not decision("n", [3, 0], {0: 2, 1: 2}, minimum=1).flagged
    assert not decision("n", [2, 2, 0], {1: 5, 2: 1}, minimum=1).flagged
    # No one made the decision: no shares, nothing flagged.
    empty = decision("n", [1, 0], {}, minimum=1)
    assert empty.learners == 0 and not empty.judged and empty.options[0].share is None


def test_dimension_means_and_the_weakest_dimension():
    from app.practice.profile import dimension_means, weakest

    # Two scenarios: empathy 67 and 75 -> mean 71; honesty 100 and 40 -> 70; compliance only
    # in the second, 20; a dimension with max 0 (percent None) is not counted.
    scores = [{"dimensions": {"empathy": {"percent": 67}, "honesty": {"percent": 100}}},
              {"dimensions": {"empathy": {"percent": 75}, "honesty": {"percent": 40},
                              "compliance": {"percent": 20}, "closing": {"percent": None}}}]
    figures = dimension_means(scores, ["honesty", "empathy"])
    assert [(f.id, f.mean_percent, f.plays) for f in figures] == [
        ("honesty", 70, 2), ("empathy", 71, 2), ("compliance", 20, 1), ("closing", None, 0)]
    assert weakest(figures) == "compliance"
    assert weakest(dimension_means([])) is None


def test_reachability_of_a_scenario_graph():
    from app.practice.walk import option_totals, reachability

    content = {"start": "a", "nodes": [
        {"id": "a", "ending": None, "options": [{"next": "b", "points": {"x": 1, "y": 2}},
                                                {"next": "c", "points": {"x": 0}}]},
        {"id": "b", "ending": "good", "options": []},
        {"id": "c", "ending": None, "options": [{"next": "c", "points": {"x": 1}}]},  # a loop
        {"id": "d", "ending": None, "options": [{"next": "b", "points": {"x": 1}}]},  # orphan
    ]}
    reach = {r.id: (r.reachable, r.leads_to_ending, r.steps_from_start)
             for r in reachability(content)}
    assert reach == {"a": (True, True, 0), "b": (True, True, 1), "c": (True, False, 1),
                     "d": (False, True, None)}
    assert option_totals(content["nodes"][0]) == [3, 0]
