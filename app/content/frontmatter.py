"""YAML front matter with line numbers, so errors can say file:line: reason."""
from __future__ import annotations

from dataclasses import dataclass, field

import yaml


class ContentError(ValueError):
    """A problem in a content file, located by path and line (1-based)."""

    def __init__(self, path: str, line: int, reason: str):
        super().__init__(f"{path}:{line}: {reason}")
        self.path, self.line, self.reason = path, line, reason


@dataclass
class FrontMatter:
    data: dict
    body: str
    body_line: int  # line number of the body's first line in the file
    key_lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, 1)


def split_front_matter(text: str, path: str, allowed: set[str], required: set[str] = frozenset()
                       ) -> FrontMatter:
    """Split `---` YAML front matter from a Markdown body and check its keys."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ContentError(path, 1, "the file must start with front matter between '---' lines")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise ContentError(path, 1, "front matter is not closed by a '---' line") from None
    source = "\n".join(lines[1:end])
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.safe_load(source) if node is not None else {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = (mark.line + 2) if mark else 1
        reason = getattr(error, "problem", None) or str(error)
        raise ContentError(path, line, f"invalid YAML in front matter: {reason}") from None
    if not isinstance(data, dict):
        raise ContentError(path, 2, "front matter must be a set of 'key: value' lines")
    key_lines = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _value in node.value:
            key_lines[str(key_node.value)] = key_node.start_mark.line + 2
    for key in data:
        if key not in allowed:
            raise ContentError(path, key_lines.get(str(key), 2),
                               f"unknown key '{key}' (allowed: {', '.join(sorted(allowed))})")
    for key in sorted(required):
        if data.get(key) in (None, "", {}):
            raise ContentError(path, end + 1 if key not in key_lines else key_lines[key],
                               f"missing required key '{key}'")
    return FrontMatter(data=data, body="\n".join(lines[end + 1:]), body_line=end + 2,
                       key_lines=key_lines)
