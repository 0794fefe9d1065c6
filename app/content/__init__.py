"""The one Markdown pipeline: front matter, Markdown to HTML, sanitising with an allowlist."""
from .frontmatter import ContentError, FrontMatter, split_front_matter  # noqa: F401
from .render import Rendered, render_inline, render_markdown, sanitize_html  # noqa: F401
