"""What a logo may be: PNG, JPEG or SVG under 200 KB; an SVG with anything active in it
(scripts, event handlers, external references, embedded documents) is refused."""
from __future__ import annotations

import re

MAX_BYTES = 200 * 1024
TYPES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
SVG_TYPE = "image/svg+xml"
_SVG_UNSAFE = re.compile(
    # the element, with or without a namespace prefix (<svg:script>)
    rb"<\s*(?:[\w.-]+:)?(script|foreignobject|iframe|embed|object|use|image|a|style|set|animate)\b"
    rb"|\bon[a-z]+\s*="
    rb"|javascript:|data:|<!doctype|<!entity|xlink:href\s*=\s*[\"'](?!#)"
    # local references (fill="url(#gradient)", href="#id") are how exported logos work
    rb"|\bhref\s*=\s*[\"'](?!#)|url\s*\(\s*[\"']?(?!#)",
    re.IGNORECASE)


PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
JPEG_EOI = b"\xff\xd9"


def _whole(content: bytes, content_type: str) -> bool:
    """The image runs from its header to its end marker: a PNG's IHDR first (a width and a
    height) and its IEND chunk last; a JPEG's end-of-image marker after its start. A cut-off
    upload otherwise shows as a broken image on every sign-in page."""
    if content_type == "image/png":
        header = content[8:24]
        return (len(header) == 16 and header[:8] == b"\x00\x00\x00\x0dIHDR"
                and int.from_bytes(header[8:12], "big") > 0
                and int.from_bytes(header[12:16], "big") > 0
                and content.endswith(PNG_IEND))
    return content.rfind(JPEG_EOI) > 2


def problem_with(content: bytes, content_type: str) -> str | None:
    """Why this logo is refused, or None."""
    if not content:
        return "the logo is empty"
    if len(content) > MAX_BYTES:
        return f"the logo is larger than {MAX_BYTES // 1024} KB"
    if content_type in TYPES:
        if not content.startswith(TYPES[content_type]):
            return f"the content is not a {content_type.split('/')[1].upper()} image"
        if not _whole(content, content_type):
            return (f"the {content_type.split('/')[1].upper()} image is incomplete or damaged; "
                    "export it again")
        return None
    if content_type == SVG_TYPE:
        head = content.lstrip()[:1000].lower()
        if b"<svg" not in head:
            return "the content is not an SVG image"
        if _SVG_UNSAFE.search(content):
            return ("the SVG holds scripts, event handlers, styles or external references; "
                    "export a plain SVG or use PNG")
        return None
    return "the logo must be PNG, JPEG or SVG (Content-Type image/png, image/jpeg or image/svg+xml)"
