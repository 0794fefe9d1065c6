"""The accessibility audit in Chinese: the checks of test_accessibility.py, collected here
with this module's language, so that `--dist loadfile` runs the two audits side by side."""
import pytest

from tests.e2e.test_accessibility import (AXE, audit,  # noqa: F401  (the fixture)
                                          test_every_page_is_audited_in_each_language,
                                          test_every_tap_target_is_big_enough,
                                          test_moderate_violations_are_the_accepted_ones,
                                          test_no_critical_or_serious_violations,
                                          test_no_page_is_wider_than_a_phone,
                                          test_no_tap_target_covers_another)

pytestmark = [
    pytest.mark.skipif(not AXE.exists(),
                       reason="axe-core is not installed: run `npm ci` in tests/e2e/axe (needs Node)"),
    pytest.mark.parametrize("language", ["zh"]),
]

__all__ = ["test_every_page_is_audited_in_each_language", "test_every_tap_target_is_big_enough",
           "test_moderate_violations_are_the_accepted_ones",
           "test_no_critical_or_serious_violations", "test_no_page_is_wider_than_a_phone",
           "test_no_tap_target_covers_another"]
