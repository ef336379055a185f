"""CODIS CMF (Common Message Format 3.x) import files, read all or nothing.

The structure read (namespace ``urn:CODISImportFile-schema``, or none)::

    <CODISImportFile xmlns="urn:CODISImportFile-schema">
      <HEADERVERSION>3.2</HEADERVERSION>  <MESSAGETYPE>Import</MESSAGETYPE>
      <DESTINATIONORI>..</DESTINATIONORI> <SOURCELAB>..</SOURCELAB>
      <SUBMITBYUSERID>..</SUBMITBYUSERID> <SUBMITDATETIME>..</SUBMITDATETIME>
      <BATCHID>..</BATCHID> <KIT>..</KIT>                           (optional)
      <SPECIMEN SOURCEID=".." CASEID=".." PARTIAL="false">          (one or more)
        <SPECIMENID>PM-01</SPECIMENID>
        <SPECIMENCATEGORY>Unidentified Person</SPECIMENCATEGORY>
        <SPECIMENCOMMENT>..</SPECIMENCOMMENT>                      (optional)
        <LOCUS BATCHID=".." KIT="..">                              (one per marker)
          <LOCUSNAME>D8S1179</LOCUSNAME> <READINGBY>..</READINGBY>
          <READINGDATETIME>..</READINGDATETIME>
          <ALLELE ALLELEREQUIRED="false"><ALLELEVALUE>12</ALLELEVALUE></ALLELE>
          <ALLELE><ALLELEVALUE>14</ALLELEVALUE></ALLELE>
        </LOCUS>
      </SPECIMEN>
    </CODISImportFile>

A locus with one ``ALLELE`` is a homozygote (CODIS lists it once); the values are read by the
rules of :mod:`repatria.formats.lab_typing` (``<8`` / ``>20`` and ``OL`` are off-ladder,
``AMEL`` / ``Amelogenin`` gives the sex, three or more alleles are refused). A specimen of
category ``Forensic Mixture`` is refused: a mixture is not one person's profile. The kit of a
locus is the ``kit`` argument, else the ``LOCUS`` element's ``KIT`` attribute, else the file's
``KIT``, else the file's name: one specimen typed with two kits gives two typings.

The XML is parsed with the standard library's expat, refusing any document type declaration
(so no entity expansion and no external entity, the guards of defusedxml). Errors name the
file, the line of the element and the element (``SPECIMEN/LOCUS/ALLELEVALUE``) as the field,
and never repeat an allele value.

Examples
--------
>>> xml = b'''<CODISImportFile><SPECIMEN><SPECIMENID>PM-1</SPECIMENID>
... <LOCUS><LOCUSNAME>VWA</LOCUSNAME><ALLELE><ALLELEVALUE>16</ALLELEVALUE></ALLELE></LOCUS>
... </SPECIMEN></CODISImportFile>'''
>>> t = parse_cmf(xml, "batch.xml", kit="Identifiler").typings[0]
>>> t.sample, t.kit, t.markers, t.source
('PM-1', 'Identifiler', ['vWA'], 'batch.xml line 1')
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from repatria import field_limits as L
from repatria.errors import FormatError
from repatria.formats.lab_typing import LabExport, LabTyping, TypingBuilder
from repatria.formats.marker_names import canonical_marker
from repatria.formats.text import check_field, read_bytes

__all__ = ["read_cmf", "parse_cmf", "CMF_NAMESPACE"]

CMF_NAMESPACE = "urn:CODISImportFile-schema"
_HEADER = (
    "HEADERVERSION",
    "MESSAGETYPE",
    "DESTINATIONORI",
    "SOURCELAB",
    "SUBMITBYUSERID",
    "SUBMITDATETIME",
    "BATCHID",
    "KIT",
)


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node] = field(default_factory=list)
    text: str = ""

    def all(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]

    def one(self, tag: str) -> _Node | None:
        hits = self.all(tag)
        return hits[0] if hits else None

    def value(self, tag: str) -> str:
        n = self.one(tag)
        return n.text.strip() if n is not None else ""


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


def _parse_xml(data: bytes, file: str) -> _Node:
    """The document as a tree with line numbers; a DTD, an entity or bad XML is refused."""
    p = expat.ParserCreate(namespace_separator=" ")
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[_Node] = []
    roots: list[_Node] = []

    def refuse_dtd(*_: object) -> None:
        raise FormatError(
            "a document type declaration (DTD) is not allowed in a CMF file (entities are not "
            "expanded)",
            file=file,
            line=p.CurrentLineNumber,
            field="DOCTYPE",
        )

    def refuse_external(*_: object) -> int:
        refuse_dtd()
        return 0

    def start(name: str, attrs: dict[str, str]) -> None:
        node = _Node(_local(name), {_local(k): v for k, v in attrs.items()}, p.CurrentLineNumber)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(_: str) -> None:
        stack.pop()

    def text(s: str) -> None:
        if stack:
            stack[-1].text += s

    p.StartDoctypeDeclHandler = refuse_dtd
    p.EntityDeclHandler = refuse_dtd
    p.ExternalEntityRefHandler = refuse_external
    p.StartElementHandler = start
    p.EndElementHandler = end
    p.CharacterDataHandler = text
    try:
        p.Parse(data, True)
    except expat.ExpatError as e:
        raise FormatError(
            f"not well-formed XML ({expat.ErrorString(e.code)})",
            file=file,
            line=e.lineno,
            field="xml",
        ) from None
    return roots[0]


def read_cmf(path: str | Path, kit: str | None = None) -> LabExport:
    """Read a CODIS CMF file completely, or raise one :class:`FormatError`."""
    p = Path(path)
    return parse_cmf(read_bytes(p, "CMF file"), str(p), kit=kit)


def parse_cmf(data: bytes, file: str, kit: str | None = None) -> LabExport:
    """The bytes of a CMF file read as :func:`read_cmf` (``file`` names it)."""
    root = _parse_xml(data, file)
    if root.tag != "CODISImportFile":
        raise FormatError(
            f"not a CODIS CMF import file: the root element is {root.tag}, not CODISImportFile",
            file=file,
            line=root.line,
            field=root.tag,
        )
    meta = {h: root.value(h) for h in _HEADER if root.value(h)}
    file_kit = kit or meta.get("KIT") or Path(file).stem
    typings: list[LabTyping] = []
    names: dict[str, str] = {}
    for spec in root.all("SPECIMEN"):
        typings.extend(_specimen(spec, file, kit, file_kit, meta.get("BATCHID", ""), names))
    if not typings:
        raise FormatError("no SPECIMEN elements", file=file, line=root.line, field="SPECIMEN")
    return LabExport(
        file,
        "cmf",
        hashlib.sha256(data).hexdigest(),
        "xml",
        tuple(typings),
        names,
        (),
        0,
        meta,
    )


def _specimen(
    spec: _Node, file: str, kit: str | None, file_kit: str, batch: str, names: dict[str, str]
) -> list[LabTyping]:
    sid_node = spec.one("SPECIMENID")
    sample = sid_node.text.strip() if sid_node is not None else ""
    if not sample:
        raise FormatError(
            "a SPECIMEN without a SPECIMENID",
            file=file,
            line=(sid_node or spec).line,
            field="SPECIMEN/SPECIMENID",
        )
    check_field(sample, L.REF, file=file, line=(sid_node or spec).line, field="SPECIMEN/SPECIMENID")
    category = spec.value("SPECIMENCATEGORY")
    if "mixture" in category.lower():
        raise FormatError(
            f"specimen '{sample}' is a {category}: a mixture is not one person's profile",
            file=file,
            line=spec.line,
            field="SPECIMEN/SPECIMENCATEGORY",
        )
    by_kit: dict[str, TypingBuilder] = {}
    for locus in spec.all("LOCUS"):
        written = locus.value("LOCUSNAME")
        if not written:
            raise FormatError(
                f"a LOCUS of specimen '{sample}' without a LOCUSNAME",
                file=file,
                line=locus.line,
                field="SPECIMEN/LOCUS/LOCUSNAME",
            )
        names[written] = canonical_marker(written)
        k = kit or locus.attrs.get("KIT", "").strip() or file_kit
        run = locus.attrs.get("BATCHID", "").strip() or batch
        t = by_kit.setdefault(k, TypingBuilder(sample, k, run, spec.line))
        values = []
        for allele in locus.all("ALLELE"):
            v = allele.one("ALLELEVALUE")
            values.append(v.text.strip() if v is not None else "")
        line = locus.all("ALLELE")[0].line if locus.all("ALLELE") else locus.line
        t.put(written, values, file, line, "SPECIMEN/LOCUS/ALLELEVALUE")
    if not by_kit:
        return [
            LabTyping(
                sample,
                file_kit,
                f"{file} line {spec.line}",
                file,
                spec.line,
                batch,
                category=category,
            )
        ]
    return [t.done(file, category) for t in by_kit.values()]
