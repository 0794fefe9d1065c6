"""YAML front matter with line numbers, so errors can say file:line: reason.

Front matter comes from strangers' files, so it is read as plain data only: no anchors,
aliases or merge keys (a few hundred bytes of aliases expand to billions of strings), and
its size and nesting are capped before PyYAML builds anything.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from .reasons import N_, Reason  # noqa: F401 (N_ is imported from here by the readers)

MAX_FRONT_MATTER_BYTES = 16 * 1024
MAX_DEPTH = 10  # course.md needs 2 (title: zh: …); quizzes fewer


def localized(reason: str, params: dict | None = None) -> str:
    """A checker message in the reader's language where the catalog has it, else English."""
    from flask import has_request_context
    from flask_babel import gettext

    if isinstance(reason, Reason) and params is None:
        reason, params = reason.template, reason.params
    if not has_request_context():
        return reason % params if params else reason
    return gettext(reason, **params) if params else gettext(reason)


class ContentError(ValueError):
    """A problem in a content file, located by path and line (1-based).

    `reason` is the English text (the CLI's file:line: reason form); a message given with
    params (or marked with N_) is also shown in the reader's language by `localized`."""

    def __init__(self, path: str, line: int, reason: str, **params):
        if isinstance(reason, Reason) and not params:
            reason, params = reason.template, reason.params
        text = reason % params if params else reason
        super().__init__(f"{path}:{line}: {text}")
        self.path, self.line, self.reason = path, line, text
        self.message, self.params = reason, params

    def __reduce__(self):  # picklable: the zip checks run in a child process
        return _rebuild, (type(self), self.path, self.line, self.message, self.params)

    def localized(self) -> str:
        """The reason in the reader's language where the catalog has it, else English."""
        return localized(self.message, self.params)


def _rebuild(cls, path, line, message, params):
    error = ContentError.__new__(cls)
    ContentError.__init__(error, path, line, message, **params)
    return error


@dataclass
class FrontMatter:
    data: dict
    body: str
    body_line: int  # line number of the body's first line in the file
    key_lines: dict[str, int] = field(default_factory=dict)
    readable: bool = True  # False: the YAML itself could not be read (data is empty)

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, 1)


def _refuse_deep_brackets(source: str, path: str) -> None:
    """PyYAML's scanner looks ahead over every open '[' or '{' for a possible key, so 3,000 of
    them on one line cost seconds before the first event: count them first, roughly (quotes
    and comments skipped)."""
    depth, quote = 0, None
    for number, line in enumerate(source.split("\n"), start=2):
        previous = " "
        for char in line:
            if quote:
                quote = None if char == quote else quote
            elif char in "'\"" and (previous in " \t[{,:" ):
                quote = char
            elif char == "#" and previous in " \t":
                break
            elif char in "[{":
                depth += 1
                if depth > MAX_DEPTH:
                    raise ContentError(path, number, N_("front matter is nested more than "
                                                        "%(count)s levels deep"), count=MAX_DEPTH)
            elif char in "]}":
                depth = max(0, depth - 1)
            previous = char
        quote = None if quote == "'" else quote


def _refuse_expansions(source: str, path: str) -> None:
    """Walk the event stream (flat, no objects built) and refuse what could expand or nest."""
    depth = 0
    for event in yaml.parse(source, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 2  # +1 for 1-based, +1 for the opening '---'
        if isinstance(event, yaml.AliasEvent):
            raise ContentError(path, line, N_("YAML aliases (*%(name)s) are not allowed in "
                                              "front matter: write the value out"),
                               name=event.anchor)
        if getattr(event, "anchor", None) is not None:
            raise ContentError(path, line, N_("YAML anchors (&%(name)s) are not allowed in "
                                              "front matter: write the value out"),
                               name=event.anchor)
        if (isinstance(event, yaml.ScalarEvent) and event.value == "<<"
                and event.style is None and event.tag is None):
            raise ContentError(path, line, N_("YAML merge keys (<<) are not allowed in front "
                                              "matter"))
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise ContentError(path, line, N_("front matter is nested more than %(count)s "
                                                  "levels deep"), count=MAX_DEPTH)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def split_front_matter(text: str, path: str, allowed: set[str], required: set[str] = frozenset(),
                       problems: list | None = None) -> FrontMatter:
    """Split `---` YAML front matter from a Markdown body and check its keys.

    Without `problems` the first problem is raised. With a list, problems inside the front
    matter (its YAML, unknown or missing keys) are added to it and the body is still returned,
    so the caller goes on checking it: a trainer sees every problem of the file in one run.
    Only a file without a front matter block at all raises."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ContentError(path, 1, N_("the file must start with front matter between '---' lines"))
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise ContentError(path, 1, N_("front matter is not closed by a '---' line")) from None
    source = "\n".join(lines[1:end])
    body, body_line = "\n".join(lines[end + 1:]), end + 2
    try:
        data, key_lines = _read_settings(source, path, allowed, required, end, problems)
    except ContentError as error:
        if problems is None:
            raise
        problems.append(error)
        return FrontMatter(data={}, body=body, body_line=body_line, readable=False)
    return FrontMatter(data=data, body=body, body_line=body_line, key_lines=key_lines)


def _read_settings(source: str, path: str, allowed: set[str], required: set[str], end: int,
                   problems: list | None) -> tuple[dict, dict[str, int]]:
    """The front matter's keys and their lines; raises what makes it unreadable, reports key
    problems (to `problems` when given)."""
    if len(source.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        raise ContentError(path, 1, N_("front matter is larger than %(size)s KiB; put text in "
                                       "the body"), size=MAX_FRONT_MATTER_BYTES // 1024)
    try:
        _refuse_deep_brackets(source, path)
        _refuse_expansions(source, path)
        loader = yaml.SafeLoader(source)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else {}
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = (mark.line + 2) if mark else 1
        reason = getattr(error, "problem", None) or str(error)
        raise ContentError(path, line, N_("invalid YAML in front matter: %(problem)s"),
                           problem=reason) from None
    except ContentError:
        raise
    except (ValueError, OverflowError) as error:
        # A value YAML reads but Python cannot hold: a whole number of 5,000 digits is over
        # Python's limit for turning text into int (ValueError), a float like 1e999 is not.
        long_number = re.search(r"\d{100,}", source)
        line = source[:long_number.start()].count("\n") + 2 if long_number else 2
        raise ContentError(path, line, N_("a value in front matter cannot be read: %(problem)s"),
                           problem=str(error)) from None
    if not isinstance(data, dict):
        raise ContentError(path, 2, N_("front matter must be a set of 'key: value' lines"))
    key_lines = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _value in node.value:
            key_lines[str(key_node.value)] = key_node.start_mark.line + 2
    found = []
    for key in data:
        if key not in allowed:
            found.append(ContentError(path, key_lines.get(str(key), 2),
                                      N_("unknown key '%(key)s' (allowed: %(allowed)s)"), key=key,
                                      allowed=", ".join(sorted(allowed))))
    for key in sorted(required):
        if data.get(key) in (None, "", {}):
            found.append(ContentError(path, end + 1 if key not in key_lines else key_lines[key],
                                      N_("missing required key '%(key)s'"), key=key))
    if found and problems is None:
        raise found[0]
    if problems is not None:
        problems += found
    return {k: v for k, v in data.items() if k in allowed}, key_lines
