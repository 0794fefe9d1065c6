"""SVG diagrams for lessons: accepted only when every element and attribute is on a short list.

An SVG is a document that can carry scripts, event handlers, external fetches, embedded
HTML (<foreignObject>) and entity bombs. We read it with expat (the standard library),
refuse a DOCTYPE or any entity declaration before anything is expanded, and refuse —
with the line and the reason — anything outside the list below: drawing shapes, text and
gradients with presentation attributes, nothing that fetches, styles or runs. What passes
is stored byte for byte (so export → import → export is identical) and served as
image/svg+xml with a CSP of its own (authoring.views.media); lessons show it with <img>,
where a browser runs no script and loads nothing anyway.
"""
from __future__ import annotations

import math
import re
import xml.parsers.expat as expat

from flask_babel import gettext as _

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
MAX_BYTES = 64 * 1024  # a hand-drawn diagram is a few KB; the course brief asks under 20 KB
MAX_ELEMENTS = 4000
MAX_DEPTH = 32

ELEMENTS = {"svg", "g", "rect", "circle", "ellipse", "line", "polyline", "polygon", "path",
            "text", "tspan", "title", "desc", "defs", "marker", "linearGradient", "stop"}
ATTRIBUTES = {
    # geometry
    "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "width", "height", "d",
    "points", "dx", "dy", "transform", "viewBox", "preserveAspectRatio", "pathLength",
    # paint
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
    "stroke-linecap", "stroke-linejoin", "stroke-dasharray", "stroke-dashoffset",
    "stroke-miterlimit", "opacity", "color", "visibility", "vector-effect", "shape-rendering",
    # text
    "font-size", "font-family", "font-weight", "font-style", "text-anchor", "dominant-baseline",
    "alignment-baseline", "baseline-shift", "letter-spacing", "word-spacing", "text-decoration",
    "lengthAdjust", "textLength", "writing-mode",
    # markers and gradients
    "marker-start", "marker-mid", "marker-end", "markerWidth", "markerHeight", "markerUnits",
    "refX", "refY", "orient", "offset", "stop-color", "stop-opacity", "gradientUnits",
    "gradientTransform", "spreadMethod",
    # identity and accessibility
    "id", "role", "aria-label", "aria-labelledby", "aria-describedby", "aria-hidden", "lang",
    "version", "focusable",
    "href",  # only "#id", checked below
}
_URL = re.compile(r"url\s*\(", re.IGNORECASE)
_LOCAL_URL = re.compile(r"^\s*url\(\s*#[A-Za-z_][\w.-]*\s*\)\s*$")
_LOCAL_HREF = re.compile(r"^#[A-Za-z_][\w.-]*$")
_FONT_FAMILY = re.compile(r"^[\w\s,'\"-]+$")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
MAX_VIEWBOX = 100_000
_VIEWBOX = re.compile(rf"^\s*({_NUMBER})[\s,]+({_NUMBER})[\s,]+({_NUMBER})[\s,]+({_NUMBER})\s*$")


class SvgRejected(ValueError):
    """The SVG has something outside the list; `line` says where."""

    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.line = line


def looks_like_svg(data: bytes) -> bool:
    """Markup, not pixels: no picture format starts with '<', so the SVG checks judge it."""
    return data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _local(name: str) -> tuple[str, str]:
    namespace, _, local = name.rpartition(" ")
    return namespace, local


def check_svg(data: bytes) -> tuple[int, int]:
    """Raise SvgRejected unless the SVG is on the list; its (width, height) from the viewBox."""
    if len(data) > MAX_BYTES:
        raise SvgRejected(_("The diagram is larger than %(size)s KB (draw it simpler).",
                            size=MAX_BYTES // 1024))
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise SvgRejected(_("The diagram is not UTF-8 text.")) from None
    parser = expat.ParserCreate(encoding="utf-8", namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    state = {"depth": 0, "count": 0, "size": None}

    def refuse(message: str):
        raise SvgRejected(message, parser.CurrentLineNumber)

    def doctype(*_args):
        refuse(_("A DOCTYPE is not allowed in a diagram (it can declare entities)."))

    def entity(*_args):
        refuse(_("Entity declarations are not allowed in a diagram."))

    def instruction(target, _data):
        refuse(_("The processing instruction <?%(target)s?> is not allowed in a diagram.",
                 target=target))

    def start(name, attributes):
        namespace, tag = _local(name)
        state["count"] += 1
        state["depth"] += 1
        if state["count"] > MAX_ELEMENTS or state["depth"] > MAX_DEPTH:
            refuse(_("The diagram has too many or too deeply nested elements."))
        if namespace != SVG_NS or tag not in ELEMENTS:
            refuse(_("<%(tag)s> is not allowed in a diagram (only shapes, text, gradients and "
                     "markers).", tag=tag))
        if state["count"] == 1 and tag != "svg":
            refuse(_("A diagram starts with <svg xmlns=\"http://www.w3.org/2000/svg\">."))
        if state["count"] > 1 and tag == "svg":
            refuse(_("An <svg> inside the diagram is not allowed."))
        for key, value in attributes.items():
            _check_attribute(key, value, tag, refuse)
        if tag == "svg" and state["count"] == 1:
            box = _VIEWBOX.match(attributes.get("viewBox", ""))
            if not box or float(box.group(3)) <= 0 or float(box.group(4)) <= 0:
                refuse(_("The <svg> needs a viewBox, e.g. viewBox=\"0 0 360 240\"."))
            # 1e308 or 1e999 would overflow the size we keep (and no diagram is that big).
            if not all(math.isfinite(float(box.group(n))) and abs(float(box.group(n))) <= MAX_VIEWBOX
                       for n in range(1, 5)):
                refuse(_("The viewBox numbers may be at most %(max)s.", max=MAX_VIEWBOX))
            state["size"] = (max(1, round(float(box.group(3)))), max(1, round(float(box.group(4)))))

    def end(_name):
        state["depth"] -= 1

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.NotationDeclHandler = entity
    parser.ExternalEntityRefHandler = lambda *_args: refuse(
        _("External entities are not allowed in a diagram."))
    parser.ProcessingInstructionHandler = instruction
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise SvgRejected(_("The diagram is not well-formed XML: %(reason)s.",
                            reason=expat.errors.messages.get(error.code, str(error))),
                          error.lineno) from None
    if state["size"] is None:
        raise SvgRejected(_("A diagram starts with <svg xmlns=\"http://www.w3.org/2000/svg\">."))
    return state["size"]


def _check_attribute(key: str, value: str, tag: str, refuse) -> None:
    namespace, name = _local(key)
    if namespace == XLINK_NS and name == "href":
        name = "href"
    elif namespace == XML_NS and name in ("lang", "space"):
        return
    elif namespace:
        refuse(_("The attribute %(name)s on <%(tag)s> is not allowed in a diagram.",
                 name=key.replace(" ", ":"), tag=tag))
    if name not in ATTRIBUTES:
        if name == "style" or name.startswith("on"):
            refuse(_("The attribute %(name)s on <%(tag)s> is not allowed in a diagram (no "
                     "styles, no scripts: use presentation attributes such as fill).",
                     name=name, tag=tag))
        refuse(_("The attribute %(name)s on <%(tag)s> is not allowed in a diagram.",
                 name=name, tag=tag))
    if "\\" in value:
        # CSS escapes: "u\\72 l(" is url( to a browser and not to the checks below.
        refuse(_("%(name)s=\"%(value)s\" has a backslash: a diagram's attributes need none.",
                 name=name, value=value[:60]))
    if name == "href":
        if not _LOCAL_HREF.match(value.strip()):
            refuse(_("A link in a diagram may only point inside it (href=\"#id\"), not to "
                     "'%(value)s'.", value=value[:60]))
        return
    if _URL.search(value) and not _LOCAL_URL.match(value):
        refuse(_("%(name)s=\"%(value)s\" fetches something: only url(#id) inside the diagram "
                 "is allowed.", name=name, value=value[:60]))
    lowered = "".join(value.split()).lower()
    if any(word in lowered for word in ("javascript:", "data:", "expression(", "@import")):
        refuse(_("%(name)s=\"%(value)s\" is not allowed in a diagram.", name=name,
                 value=value[:60]))
    if name == "font-family" and not _FONT_FAMILY.match(value):
        refuse(_("font-family=\"%(value)s\" is not allowed: name fonts (e.g. sans-serif).",
                 value=value[:60]))
