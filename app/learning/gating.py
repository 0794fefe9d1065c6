"""Gating and completion rules, as pure functions over per-module facts."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModuleFacts:
    module_id: int
    all_read: bool
    has_quiz: bool
    quiz_passed: bool
    requirements_met: bool = True  # every required role-play passed (module.md `requires`)

    @property
    def done(self) -> bool:
        return self.all_read and (self.quiz_passed or not self.has_quiz) and self.requirements_met


def unlocked_modules(modules: list[ModuleFacts], gating: str) -> dict[int, bool]:
    """Sequential: a module opens when every earlier module is done (its quiz and required
    role-plays passed)."""
    result, open_so_far = {}, True
    for facts in modules:
        result[facts.module_id] = open_so_far or gating == "open"
        open_so_far = open_so_far and facts.done
    return result


def quiz_unlocked(facts: ModuleFacts, module_unlocked: bool, gating: str) -> bool:
    """A module's quiz opens once its lessons are read (always, when gating is open)."""
    return gating == "open" or (module_unlocked and facts.all_read)


def course_complete(modules: list[ModuleFacts]) -> bool:
    return bool(modules) and all(facts.done for facts in modules)
