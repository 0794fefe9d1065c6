"""The quiz file format (docs/course-format.md): Markdown a trainer can read, parsed to plain data.

Each language file is parsed on its own (`parse_quiz_file`), then the languages are merged
(`merge_languages`) into one structure whose ids, types, points and answers must agree.
Problems are ContentError(path, line, reason).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..content import ContentError, render_inline, render_markdown, split_front_matter
from ..content.frontmatter import N_
from ..content.render import shape_problem
from .grading import normalize_text


class QuizErrors(ContentError):
    """Every problem of a quiz file at once (a trainer fixes them in one go, not one a run).

    It is the first problem as a ContentError, so callers that show one still work; `errors`
    holds all of them in line order."""

    def __init__(self, errors: list[ContentError], quiz: ParsedQuiz | None = None):
        errors = sorted(errors, key=lambda error: (error.path, error.line))
        super().__init__(errors[0].path, errors[0].line, errors[0].reason)
        self.errors = errors
        self.quiz = quiz  # what could be read despite them (its questions' lesson= to check)

    def __reduce__(self):  # picklable: the zip checks run in a child process
        return type(self), (self.errors,)


def problems_of(error: ContentError) -> list[ContentError]:
    """The problems an error stands for: all of a QuizErrors, else the error itself."""
    return list(getattr(error, "errors", [error]))


SETTINGS_DEFAULTS = {
    "pass_mark": 80,
    "max_attempts": None,  # unlimited: nobody is locked out for good
    "cooldown_minutes": [0, 10, 60, 240, 1440],  # grows with each failed attempt (grading.py)
    "time_limit_minutes": None,
    "shuffle_questions": False,
    "shuffle_options": False,
    "draw": None,
    "reveal": "feedback_after_attempt",
    "multiple_scoring": "partial",
}
# feedback_after_attempt: the learner's own options' feedback and review links after every
# attempt; the right answers only after passing or the last attempt.
REVEALS = ("never", "after_pass", "after_last_attempt", "feedback_after_attempt")
MAX_COOLDOWN = 60 * 24 * 30
SCORINGS = ("partial", "all_or_nothing")
TYPES = ("single", "multiple", "truefalse", "text", "numeric", "order")
ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

_HEADING = re.compile(r"^##\s+(?P<text>.*?)\s*\{(?P<attrs>[^{}]*)\}\s*$")
# A credit is a percentage in the checkbox: [50%], [-25%] (docs/course-format.md).
_CREDIT = r"-?\d{1,3}(?:\.\d{1,7})?\s*%"
_TASK = re.compile(rf"^[-*+]\s+\[(?P<mark>[ xX]|{_CREDIT})\]\s+(?P<text>.+)$")
_PLAIN_ITEM = re.compile(r"^[-*+]\s+(?P<text>.+)$")
_NUMBERED = re.compile(r"^(?P<n>\d+)[.)]\s+(?P<text>.+)$")
_FEEDBACK = re.compile(r"^>\s*(?:Feedback|反馈)\s*[:：]\s*(?P<text>.*)$", re.IGNORECASE)
_QUOTE = re.compile(r"^>\s?(?P<text>.*)$")
_NUMBER = r"[-+]?\d+(?:\.\d+)?"
_NUMERIC_EXACT = re.compile(rf"^(?P<v>{_NUMBER})$")
_NUMERIC_TOL = re.compile(rf"^(?P<v>{_NUMBER})\s*(?:±|\+/-|\+-)\s*(?P<t>{_NUMBER})$")
_NUMERIC_RANGE = re.compile(rf"^(?P<lo>{_NUMBER})\s*\.\.\s*(?P<hi>{_NUMBER})$")


@dataclass
class ParsedOption:
    text: str
    correct: bool
    line: int
    feedback: list[str] = field(default_factory=list)
    credit: float | None = None  # a written percentage as a fraction; None for [x] / [ ]


@dataclass
class ParsedAnswer:
    """A text or numeric answer line: its text (without the credit) and its credit."""
    text: str
    line: int
    credit: float = 1.0


@dataclass
class ParsedQuestion:
    id: str
    type: str
    points: int
    title: str
    line: int
    lessons: list[str] = field(default_factory=list)  # slugs to review when it goes wrong
    body: list[str] = field(default_factory=list)
    options: list[ParsedOption] = field(default_factory=list)
    answers: list[ParsedAnswer] = field(default_factory=list)  # text/numeric items
    items: list[tuple[int, str, int]] = field(default_factory=list)  # order: number, text, line
    feedback: list[str] = field(default_factory=list)


@dataclass
class ParsedQuiz:
    path: str
    settings: dict
    settings_lines: dict
    intro: str
    questions: list[ParsedQuestion]


def _settings(fm, path: str, errors: list[ContentError]) -> dict:
    """The quiz's settings; each bad one is added to `errors` and keeps its default."""
    data, settings = fm.data, dict(SETTINGS_DEFAULTS)

    def whole(key, low, high=None, optional=True):
        value = data.get(key)
        if value is None and optional:
            return
        if not isinstance(value, int) or isinstance(value, bool) or value < low or (
                high is not None and value > high):
            if high is not None:
                errors.append(ContentError(path, fm.line_of(key), N_(
                    "'%(key)s' must be a whole number %(low)s-%(high)s"), key=key, low=low, high=high))
            else:
                errors.append(ContentError(path, fm.line_of(key), N_(
                    "'%(key)s' must be a whole number %(low)s or more"), key=key, low=low))
            return
        settings[key] = value

    whole("pass_mark", 1, 100)
    whole("max_attempts", 1, 100)
    cooldown = data.get("cooldown_minutes")
    if isinstance(cooldown, list):
        if not 1 <= len(cooldown) <= 20 or any(
                not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= MAX_COOLDOWN
                for v in cooldown):
            errors.append(ContentError(
                path, fm.line_of("cooldown_minutes"),
                N_("'cooldown_minutes' is a whole number of minutes or a list of "
                   "them (1-20 values, each 0-%(most)s), e.g. [0, 10, 60]"), most=MAX_COOLDOWN))
        else:
            settings["cooldown_minutes"] = list(cooldown)
    else:
        whole("cooldown_minutes", 0, MAX_COOLDOWN)
    whole("time_limit_minutes", 1, 24 * 60)
    whole("draw", 1, 1000)
    for key in ("shuffle_questions", "shuffle_options"):
        if key in data:
            if not isinstance(data[key], bool):
                errors.append(ContentError(path, fm.line_of(key),
                                           N_("'%(key)s' must be true or false"), key=key))
                continue
            settings[key] = data[key]
    for key, allowed in (("reveal", REVEALS), ("multiple_scoring", SCORINGS)):
        if key in data:
            if data[key] not in allowed:
                errors.append(ContentError(path, fm.line_of(key), N_("'%(key)s' must be one of: %(allowed)s"),
                                           key=key, allowed=", ".join(allowed)))
                continue
            settings[key] = data[key]
    return settings


def _attributes(raw: str, path: str, line: int, errors: list[ContentError]) -> dict | None:
    """A heading's {…} settings, or None after adding each of its problems to `errors`."""
    attrs, found = {}, []
    for token in raw.split():
        if token.startswith("#"):
            attrs["id"] = token[1:]
        elif "=" in token:
            key, _, value = token.partition("=")
            attrs[key.strip()] = value.strip().strip("\"'")
        else:
            found.append((N_("cannot read '%(token)s' in {…}: use #id, type=…, points=…, lesson=…"),
                          {"token": token}))
    unknown = set(attrs) - {"id", "type", "points", "lesson"}
    if unknown:
        found.append((N_("unknown question setting '%(name)s'"), {"name": min(unknown)}))
    if not attrs.get("id") or not ID.match(attrs["id"]):
        found.append((N_("each question needs an id like {#welcome-first} "
                         "(lowercase letters, digits, '-')"), {}))
    if attrs.get("type") not in TYPES:
        found.append((N_("type must be one of: %(types)s"), {"types": ", ".join(TYPES)}))
    points = attrs.get("points", "1")
    if not points.isdigit() or not 1 <= int(points) <= 100:
        found.append((N_("points must be a whole number 1-100"), {}))
    else:
        attrs["points"] = int(points)
    lessons = [slug for slug in attrs.get("lesson", "").split(",") if slug]
    if any(not ID.match(slug) for slug in lessons):
        found.append((N_("lesson= names a lesson of the course by its slug "
                         "(the file name without number and language), "
                         "e.g. lesson=where-members-come-from"), {}))
    attrs["lessons"] = lessons
    errors += [ContentError(path, line, message, **params) for message, params in found]
    return None if found else attrs


def parse_quiz_file(text: str, path: str) -> ParsedQuiz:
    """Parse one language file; raises QuizErrors naming every problem found in it."""
    errors: list[ContentError] = []  # the front matter's problems too: the questions are
    fm = split_front_matter(text, path, set(SETTINGS_DEFAULTS), problems=errors)  # still read
    problem = shape_problem(fm.body)  # its texts are rendered by the one pipeline
    if problem is not None:
        raise QuizErrors(errors + [ContentError(path, fm.body_line + problem[0] - 1, problem)])
    settings = _settings(fm, path, errors)
    questions: list[ParsedQuestion] = []
    intro: list[str] = []
    current: ParsedQuestion | None = None
    last_option: ParsedOption | None = None
    in_feedback = skipping = False
    for offset, raw in enumerate(fm.body.split("\n")):
        line_no = fm.body_line + offset
        line = raw.rstrip()
        stripped = line.strip()
        if line.startswith("## "):
            match = _HEADING.match(line)
            attrs = None
            if not match:
                errors.append(ContentError(path, line_no, N_(
                    "a question heading ends with {#id type=…}, "
                    "e.g. '## What comes first? {#welcome-first type=single}'")))
            else:
                attrs = _attributes(match.group("attrs"), path, line_no, errors)
            if attrs is not None and any(q.id == attrs["id"] for q in questions):
                # Still read, so its other problems are reported in the same run.
                errors.append(ContentError(path, line_no, N_("duplicate question id '%(id)s'"),
                                           id=attrs["id"]))
            # A heading that can't be read: its lines are skipped up to the next heading, so
            # the questions after it are still checked.
            skipping = attrs is None
            if skipping:
                current, last_option, in_feedback = None, None, False
                continue
            current = ParsedQuestion(id=attrs["id"], type=attrs["type"], points=attrs["points"],
                                     title=match.group("text"), line=line_no,
                                     lessons=attrs["lessons"])
            questions.append(current)
            last_option, in_feedback = None, False
            continue
        if skipping:
            continue
        if current is None:
            intro.append(line)
            continue
        if not stripped:
            in_feedback = False
            continue
        indented = line[:1] in (" ", "\t")
        feedback = _FEEDBACK.match(stripped)
        if indented and stripped.startswith(">"):
            if last_option is None:
                errors.append(ContentError(path, line_no, N_(
                    "an indented '> Feedback:' belongs under an option")))
                continue
            last_option.feedback.append(feedback.group("text") if feedback
                                        else _QUOTE.match(stripped).group("text"))
            continue
        if feedback:
            current.feedback.append(feedback.group("text"))
            in_feedback, last_option = True, None
            continue
        if in_feedback and stripped.startswith(">"):
            current.feedback.append(_QUOTE.match(stripped).group("text"))
            continue
        has_answers = current.options or current.answers or current.items
        task, numbered, plain = _TASK.match(stripped), _NUMBERED.match(stripped), _PLAIN_ITEM.match(stripped)
        credit = _credit(task.group("mark"), path, line_no) if task else None
        if task and not indented and credit is not None and current.type in ("text", "numeric"):
            current.answers.append(ParsedAnswer(task.group("text").strip(), line_no, credit))
        elif task and not indented:
            correct = task.group("mark") != " " if credit is None else credit > 0
            last_option = ParsedOption(text=task.group("text"), correct=correct, line=line_no,
                                       credit=credit)
            current.options.append(last_option)
        elif numbered and not indented and current.type == "order":
            current.items.append((int(numbered.group("n")), numbered.group("text"), line_no))
        elif plain and not indented and current.type in ("text", "numeric"):
            current.answers.append(ParsedAnswer(plain.group("text").strip(), line_no))
        elif has_answers or current.feedback:
            errors.append(ContentError(path, line_no, N_(
                "unexpected text after the answers (feedback lines start with '> Feedback:')")))
        else:
            current.body.append(line)
    for question in questions:
        errors += _check_question(question, path)
    if not questions and not errors:
        errors.append(ContentError(path, fm.body_line, N_(
            "the quiz has no questions ('## … {#id type=…}')")))
    draw = settings["draw"]
    if draw is not None and questions and draw > len(questions):
        errors.append(ContentError(path, fm.line_of("draw"), N_(
            "draw is %(draw)s, more than the number of questions in the quiz (%(count)s)"),
            draw=draw, count=len(questions)))
    quiz = ParsedQuiz(path=path, settings=settings, settings_lines=fm.key_lines,
                      intro="\n".join(intro).strip(), questions=questions)
    if errors:
        raise QuizErrors(errors, quiz)
    return quiz


def _credit(mark: str, path: str, line: int) -> float | None:
    """[50%] -> 0.5; None for [x] and [ ] (which keep their old meaning)."""
    if not mark.endswith("%"):
        return None
    percent = float(mark[:-1].strip())
    if not -100 <= percent <= 100:
        raise ContentError(path, line, N_("a credit is a percentage from -100%% to 100%% (found "
                                          "%(mark)s)"), mark=mark)
    return round(percent / 100, 9)  # 33.33333% -> 0.3333333, not 0.33333329999999994


def parse_numeric(spec: str) -> dict | None:
    spec = spec.replace("，", ",").replace(" ", "")
    if match := _NUMERIC_TOL.match(spec):
        value, tolerance = float(match.group("v")), abs(float(match.group("t")))
        return {"min": value - tolerance, "max": value + tolerance, "value": value}
    if match := _NUMERIC_RANGE.match(spec):
        low, high = float(match.group("lo")), float(match.group("hi"))
        if low > high:
            return None
        return {"min": low, "max": high}
    if match := _NUMERIC_EXACT.match(spec):
        value = float(match.group("v"))
        return {"min": value, "max": value, "value": value}
    return None


FULL = 1 - 1e-6  # Moodle's own margin: 3 × 33.33333% is full credit


def option_credit(option) -> float:
    """What picking an option earns: its percentage, else 1 for [x] and 0 for [ ]."""
    credit = option.credit if isinstance(option, ParsedOption) else option.get("credit")
    if credit is not None:
        return credit
    return 1.0 if (option.correct if isinstance(option, ParsedOption) else option["correct"]) else 0.0


def _percent(fraction: float) -> str:
    return f"{round(fraction * 100, 5):g}%"


def _check_question(q: ParsedQuestion, path: str) -> list[ContentError]:
    """Every problem of one question (a question with no options has no wrong key too)."""
    found: list[tuple[int, str, dict]] = []
    weighted = any(option.credit is not None for option in q.options)
    if weighted:
        # Correct = part of a fully right answer: any 100% option of a single question,
        # every option with a positive credit in a multiple one.
        for option in q.options:
            credit = option_credit(option)
            option.correct = credit >= FULL if q.type == "single" else credit > 0
    correct = sum(option.correct for option in q.options)
    if q.type in ("single", "multiple", "truefalse"):
        if q.answers or q.items:
            found.append((q.line, N_("a %(type)s question lists its options as '- [ ] …'"),
                          {"type": q.type}))
        if q.type == "truefalse" and len(q.options) != 2:
            found.append((q.line, N_("a truefalse question has exactly two options, "
                                     "the true statement first"), {}))
        elif len(q.options) < 2:
            found.append((q.line, N_("a choice question needs at least two options"), {}))
        if q.type == "truefalse" and weighted:
            line = next(o.line for o in q.options if o.credit is not None)
            found.append((line, N_("a truefalse option is [x] or [ ], without a percentage"), {}))
        elif q.options and q.type == "single" and weighted and correct < 1:
            found.append((q.line, N_("no option is worth 100%: a learner could never earn this "
                                     "question's points"), {}))
        elif q.options and q.type in ("single", "truefalse") and not weighted and correct != 1:
            if q.type == "single" and correct > 1:
                found.append((q.line, N_("a single question needs exactly one [x] (found %(found)s); "
                                         "several options that are each fully right are marked [100%%]"),
                              {"found": correct}))
            else:
                found.append((q.line, N_("a %(type)s question needs exactly one [x] (found %(found)s)"),
                              {"type": q.type, "found": correct}))
        if q.type == "multiple" and weighted:
            total = sum(max(0.0, option_credit(o)) for o in q.options)
            if total < FULL:
                found.append((q.line, N_("the positive credits add up to %(total)s: a learner could "
                                         "never earn this question's points (they must reach 100%%)"),
                              {"total": _percent(total)}))
        if q.options and q.type == "multiple" and correct < 1:
            found.append((q.line, N_("this question has no correct answer: mark at least "
                                     "one option with [x]"), {}))
    elif q.type == "text":
        if q.options or not q.answers:
            found.append((q.line, N_("a text question lists accepted answers as plain "
                                     "items ('- 开单率')"), {}))
        found += _answer_credit_problems(q)
        seen: dict[str, ParsedAnswer] = {}
        for answer in q.answers:
            key = normalize_text(answer.text)
            if key in seen and seen[key].credit != answer.credit:
                found.append((answer.line, N_("'%(text)s' reads the same as '%(other)s' (line "
                                              "%(at)s) but has another credit: a typed answer "
                                              "can only earn one"),
                              {"text": answer.text, "other": seen[key].text, "at": seen[key].line}))
            seen.setdefault(key, answer)
    elif q.type == "numeric":
        if q.options or not q.answers:
            found.append((q.line, N_("a numeric question lists answers as '- 50', "
                                     "'- 50 ± 2' or '- 45..55'"), {}))
        ranges = []
        for answer in q.answers:
            accepted = parse_numeric(answer.text)
            if accepted is None:
                found.append((answer.line, N_("cannot read the number '%(spec)s' (use 50, 50 ± 2 "
                                              "or 45..55)"), {"spec": answer.text}))
                continue
            # The first line that accepts a number decides: a later line inside an earlier
            # one never counts, which with another credit is surely a mistake.
            for earlier, credit, line in ranges:
                if earlier["min"] <= accepted["min"] and accepted["max"] <= earlier["max"] \
                        and credit != answer.credit:
                    found.append((answer.line, N_("'%(text)s' can never count: line %(at)s "
                                                  "above already accepts all of it; put the "
                                                  "narrower answer first"),
                                  {"text": answer.text, "at": line}))
                    break
            ranges.append((accepted, answer.credit, answer.line))
        found += _answer_credit_problems(q)
    elif q.type == "order":
        if q.options or len(q.items) < 2:
            found.append((q.line, N_("an order question lists at least two steps as a "
                                     "numbered list in the right order"), {}))
        numbers = [n for n, _text, _line in q.items]
        if numbers and numbers != list(range(1, len(numbers) + 1)):
            found.append((q.items[0][2], N_("number the steps 1, 2, 3 … in the right order"), {}))
    return [ContentError(path, line, message, **params) for line, message, params in found]


def _answer_credit_problems(q: ParsedQuestion) -> list[tuple[int, str, dict]]:
    if q.answers and not any(answer.credit >= FULL for answer in q.answers):
        return [(q.line, N_("no answer is worth 100%: a learner could never earn this "
                            "question's points"), {})]
    return []


def _paragraphs(lines: list[str]) -> str:
    return "\n".join(lines).strip()


def _text_answers(question: dict, per_locale: dict[str, ParsedQuestion],
                  paths: dict[str, str]) -> None:
    """Accepted answers of every language: full-credit ones in `accepted` (as always), the
    others in `partial` as {"text", "credit"}. One typed answer never has two credits."""
    accepted: list[str] = []
    partial: list[dict] = []
    credits: dict[str, tuple[float, ParsedAnswer, str]] = {}
    for locale, q in per_locale.items():
        for answer in q.answers:
            key = normalize_text(answer.text)
            if key in credits and credits[key][0] != answer.credit:
                _credit, other, where = credits[key]
                raise ContentError(paths[locale], answer.line,
                                   N_("'%(text)s' reads the same as '%(other)s' in %(file)s "
                                      "(line %(number)s) but has another credit"),
                                   text=answer.text, other=other.text, file=paths[where],
                                   number=other.line)
            credits.setdefault(key, (answer.credit, answer, locale))
            if answer.credit >= FULL:
                if answer.text not in accepted:
                    accepted.append(answer.text)
            elif all(p["text"] != answer.text for p in partial):
                partial.append({"text": answer.text, "credit": answer.credit})
    question["accepted"] = accepted
    if partial:
        question["partial"] = partial


def merge_languages(parsed: dict[str, ParsedQuiz]) -> dict:
    """One quiz from its language files; the key (answers) must be the same in every language.

    Returns plain JSON-ready data: {"settings", "intro", "questions": [...]}. Texts are
    {"zh": html, "en": html}; accepted text answers are the union over languages.
    """
    locales = sorted(parsed)
    first = parsed[locales[0]]
    differences: list[ContentError] = []
    for locale in locales[1:]:
        other = parsed[locale]
        if other.settings != first.settings:
            key = next(k for k in SETTINGS_DEFAULTS if other.settings[k] != first.settings[k])
            raise ContentError(other.path, other.settings_lines.get(key, 1),
                               N_("'%(key)s' differs from %(first)s: every language file of a "
                                  "quiz has the same settings"), key=key, first=first.path)
        if [q.id for q in other.questions] != [q.id for q in first.questions]:
            raise ContentError(other.path, other.questions[0].line if other.questions else 1,
                               N_("the question ids differ from %(first)s (same ids, same order)"),
                               first=first.path)
        for mine, theirs in zip(other.questions, first.questions):
            same = (mine.type == theirs.type and mine.points == theirs.points
                    and mine.lessons == theirs.lessons
                    and [o.correct for o in mine.options] == [o.correct for o in theirs.options]
                    and [o.credit for o in mine.options] == [o.credit for o in theirs.options]
                    and len(mine.items) == len(theirs.items))
            if mine.type == "numeric":
                same = same and [(parse_numeric(a.text), a.credit) for a in mine.answers] == \
                    [(parse_numeric(a.text), a.credit) for a in theirs.answers]
            if not same:
                differences.append(ContentError(
                    other.path, mine.line, N_("question '%(id)s' differs from %(first)s in "
                                              "type, points, lesson, options or answers"),
                    id=mine.id, first=first.path))
    if differences:
        raise QuizErrors(differences)
    questions = []
    for index, base in enumerate(first.questions):
        per_locale = {locale: parsed[locale].questions[index] for locale in locales}

        def texts(get) -> dict:
            return {locale: get(q) for locale, q in per_locale.items()}

        question = {
            "id": base.id, "type": base.type, "points": base.points,
            "text": texts(lambda q: render_markdown(
                f"**{q.title}**\n\n" + _paragraphs(q.body) if q.body else f"**{q.title}**").html),
            "feedback": texts(lambda q: render_markdown(_paragraphs(q.feedback)).html
                              if q.feedback else ""),
        }
        if base.lessons:
            question["lessons"] = base.lessons
        if base.type in ("single", "multiple", "truefalse"):
            # Questions without percentages keep exactly the data they always had, so stored
            # versions and re-imports of old files are unchanged.
            weighted = any(option.credit is not None for option in base.options)
            question["options"] = [
                {"id": chr(ord("a") + i), "correct": option.correct,
                 **({"credit": option_credit(option)} if weighted else {}),
                 "text": texts(lambda q, i=i: render_inline(q.options[i].text)),
                 "feedback": texts(lambda q, i=i: render_inline(" ".join(q.options[i].feedback))
                                   if q.options[i].feedback else "")}
                for i, option in enumerate(base.options)]
        elif base.type == "text":
            _text_answers(question, per_locale, {loc: p.path for loc, p in parsed.items()})
        elif base.type == "numeric":
            question["ranges"] = [
                parse_numeric(a.text) | ({"credit": a.credit} if a.credit != 1.0 else {})
                for a in base.answers]
            question["answer_text"] = next(a.text for a in base.answers if a.credit >= FULL)
        elif base.type == "order":
            question["items"] = [
                {"id": chr(ord("a") + i),
                 "text": texts(lambda q, i=i: render_inline(q.items[i][1]))}
                for i in range(len(base.items))]
        questions.append(question)
    return {"settings": first.settings,
            "intro": {locale: render_markdown(p.intro).html if p.intro else ""
                      for locale, p in parsed.items()},
            "questions": questions}
