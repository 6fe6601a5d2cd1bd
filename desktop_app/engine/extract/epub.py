"""EPUB e-books: the chapters in reading (spine) order, each through the HTML extractor.

The reading order is not the zip order: ``META-INF/container.xml`` names the package (OPF)
file, whose manifest maps ids to files and whose spine lists ids in order. Chapters are
XHTML, parsed with the tolerant HTML parser because real e-books are often not well-formed;
each chapter's <title> (or first heading) is the section of its text. DRM-protected books
(``META-INF/encryption.xml`` listing the chapters) cannot be read and are "encrypted".
"""

from __future__ import annotations

import logging
import posixpath
import zipfile
from pathlib import Path
from typing import Final
from urllib.parse import unquote, urldefrag
from xml.etree.ElementTree import Element

from desktop_app.engine.extract.archive import (
    has_member,
    local_name,
    open_zip,
    parse_xml,
    read_member,
)
from desktop_app.engine.extract.base import (
    Document,
    DocumentBuilder,
    ExtractionError,
    Limits,
    squash_spaces,
)
from desktop_app.engine.extract.html import decode_html, feed_html

log = logging.getLogger(__name__)

MIMETYPE: Final = "application/epub+zip"
CONTAINER: Final = "META-INF/container.xml"
ENCRYPTION: Final = "META-INF/encryption.xml"
_HTML_TYPES: Final = frozenset({"application/xhtml+xml", "text/html", "application/xml"})
_FONT_OBFUSCATION: Final = ("http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC")


def extract_epub(path: Path, limits: Limits) -> Document:
    builder = DocumentBuilder("epub", limits.max_chars)
    with open_zip(path, limits) as archive:
        opf_path = _package_path(archive)
        package = parse_xml(read_member(archive, opf_path), opf_path)
        chapters = _spine(package, posixpath.dirname(opf_path))
        if not chapters:
            raise ExtractionError("corrupt", "the EPUB spine lists no chapters")
        _refuse_drm(archive, chapters)
        for name in chapters:
            if builder.full:
                break
            if not has_member(archive, name):
                log.info("%s: spine item %s is missing", path.name, name)
                continue
            markup = decode_html(read_member(archive, name))
            feed_html(builder, markup, title_as_section=True)
    title = _dc_title(package)
    return builder.build(title or path.stem)


def _package_path(archive: zipfile.ZipFile) -> str:
    container = parse_xml(read_member(archive, CONTAINER), CONTAINER)
    for element in container.iter():
        if local_name(element.tag) == "rootfile":
            full_path = element.get("full-path")
            if full_path:
                return full_path
    raise ExtractionError("corrupt", "container.xml names no package file")


def _spine(package: Element, base: str) -> list[str]:
    """Archive names of the spine's HTML documents, in reading order."""
    manifest: dict[str, tuple[str, str]] = {}
    spine: list[str] = []
    for element in package.iter():
        name = local_name(element.tag)
        if name == "item":
            item_id, href = element.get("id"), element.get("href")
            if item_id and href:
                manifest[item_id] = (href, element.get("media-type") or "")
        elif name == "itemref":
            idref = element.get("idref")
            if idref:
                spine.append(idref)
    chapters: list[str] = []
    for idref in spine:
        href, media_type = manifest.get(idref, ("", ""))
        if not href or (media_type and media_type not in _HTML_TYPES):
            continue
        target = posixpath.normpath(posixpath.join(base, unquote(urldefrag(href).url)))
        if target not in chapters:
            chapters.append(target)
    return chapters


def _refuse_drm(archive: zipfile.ZipFile, chapters: list[str]) -> None:
    """Raise "encrypted" when encryption.xml covers chapters with anything but font obfuscation."""
    if not has_member(archive, ENCRYPTION):
        return
    encryption = parse_xml(read_member(archive, ENCRYPTION), ENCRYPTION)
    algorithm = ""
    for element in encryption.iter():
        name = local_name(element.tag)
        if name == "EncryptionMethod":
            algorithm = element.get("Algorithm") or ""
        elif name == "CipherReference" and not algorithm.startswith(_FONT_OBFUSCATION):
            uri = posixpath.normpath(unquote(element.get("URI") or ""))
            if uri in chapters:
                raise ExtractionError("encrypted", "the EPUB chapters are DRM-encrypted")


def _dc_title(package: Element) -> str:
    for element in package.iter():
        if local_name(element.tag) == "title" and element.tag.startswith("{http://purl.org/dc/"):
            title = squash_spaces(element.text or "")
            if title:
                return title
    return ""
