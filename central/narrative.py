"""FHIR narrative (``text.div``): accepted only within FHIR's XHTML subset, else refused.

FHIR R4 (Narrative, constraints txt-1/txt-2): the div is one ``<div>`` element in the XHTML
namespace holding only basic formatting elements and attributes — no active content: no
``<script>``, ``<style>``, forms, frames or objects, no event attributes (``on…``), no
``javascript:`` (or any non-web) links, no DOCTYPE or entity declarations, and it is not empty.
Nothing is rewritten: a div outside the subset is refused with a reason (holding no value), so
what the server stores is what the clinic wrote.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.parsers.expat import ExpatError

XHTML = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MAX_DIV = 512 * 1024

ELEMENTS = frozenset(
    [
        "a",
        "abbr",
        "acronym",
        "b",
        "big",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "q",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "tt",
        "ul",
        "var",
    ]
)
ATTRIBUTES = frozenset(
    [
        "abbr",
        "accesskey",
        "align",
        "alt",
        "axis",
        "bgcolor",
        "border",
        "cellhalign",
        "cellpadding",
        "cellspacing",
        "cellvalign",
        "char",
        "charoff",
        "charset",
        "cite",
        "class",
        "colspan",
        "compact",
        "coords",
        "dir",
        "frame",
        "headers",
        "height",
        "href",
        "hreflang",
        "hspace",
        "id",
        "lang",
        "longdesc",
        "name",
        "nowrap",
        "rel",
        "rev",
        "rowspan",
        "rules",
        "scope",
        "shape",
        "span",
        "src",
        "start",
        "style",
        "summary",
        "tabindex",
        "title",
        "type",
        "valign",
        "value",
        "vspace",
        "width",
    ]
)
_LINK_SCHEMES = ("http://", "https://", "mailto:", "#")


def _safe_link(value: str, attr: str) -> bool:
    v = "".join(value.split()).lower()  # "java\tscript:" is still javascript:
    if attr == "src":
        return v.startswith("#") or v.startswith("data:image/")  # contained or inline image
    return v.startswith(_LINK_SCHEMES) or ("/" not in v and ":" not in v)


def div_problem(div: object) -> str | None:
    """Why this narrative div is refused (a sentence without values), or None."""
    if not isinstance(div, str) or not div.strip():
        return "The narrative (text.div) must be a non-empty XHTML <div>."
    if len(div) > MAX_DIV:
        return "The narrative (text.div) is too large."
    if "<!" in div or "<?" in div:
        return "The narrative (text.div) may not hold DOCTYPE, entity or processing declarations."
    try:
        root = ET.fromstring(div)
    except (ET.ParseError, ExpatError, ValueError):
        return "The narrative (text.div) is not well-formed XHTML."
    if root.tag != f"{XHTML}div":
        return "The narrative (text.div) must be one <div> in the XHTML namespace."
    if not (root.text or "").strip() and len(root) == 0:
        return "The narrative (text.div) must not be empty."
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag.startswith(XHTML) or tag[len(XHTML) :] not in ELEMENTS:
            return "The narrative (text.div) holds an element outside FHIR's XHTML subset."
        for attr, value in el.attrib.items():
            if attr == XML_LANG:
                continue
            if attr not in ATTRIBUTES:
                return "The narrative (text.div) holds an attribute outside FHIR's XHTML subset."
            if attr in ("href", "src", "longdesc", "cite") and not _safe_link(value, attr):
                return "The narrative (text.div) holds a link FHIR does not allow."
            if attr == "style" and any(
                bad in value.lower() for bad in ("expression(", "url(", "javascript:", "@import")
            ):
                return "The narrative (text.div) holds active content in a style."
    return None
