"""How long each kind of text the registry stores may be: one number per kind, used everywhere.

The registry's column lengths (:mod:`repatria.registry.models`), the readers' field checks
(:func:`repatria.formats.text.check_field`) and the API's schemas (``max_length``) take their
numbers from here, so a value a reader or a form accepts always fits its column, and a value
that does not is refused where it comes in: one line naming the file, the line and the field
(or the form field), never a database error after half an import. Like
:mod:`repatria.vocabulary` it imports nothing, so any layer may use it.

``FREE_TEXT`` bounds the text columns (notes, reasons, descriptions): the databases would store
more, but nothing a person types is that long, and an unbounded field is a way to fill the disk.

>>> REF, ALLELE, PERSON_NAME
(64, 64, 300)
"""

from __future__ import annotations

__all__ = [
    "REF",
    "PERSON_NAME",
    "PLACE",
    "PARTY",
    "DATE",
    "CODE",
    "DOC_FIELD",
    "SCRIPT",
    "MARKER",
    "ALLELE",
    "KIT",
    "USER_NAME",
    "LABEL",
    "FILENAME",
    "FREE_TEXT",
    "PASSWORD",
]

#: A record's reference: persons, remains, bodies, samples, donors, families, claims, members.
REF = 64
#: A person's name, a transliteration, a name on a document, a recipient, a counterpart.
PERSON_NAME = 300
#: A place: last known place, recovery site, cemetery, custody location.
PLACE = 300
#: A party or an organisation: custody parties, who recovered remains, a lab, a unit.
PARTY = 200
#: A date as written (YYYY-MM-DD, or a partial or approximate date).
DATE = 32
#: A short code or word: nationality, service number, document type, relationship, material.
CODE = 64
#: A document's number or issuer.
DOC_FIELD = 128
#: An ISO 15924 script code (Latn, Cyrl, Hang).
SCRIPT = 8
#: A marker's name (D8S1179, TH01, DYS391).
MARKER = 64
#: An allele's label (9.3, 17, OL, X).
ALLELE = 64
#: A typing kit's name.
KIT = 120
#: A user's name.
USER_NAME = 120
#: A short label: a coffin's, a token's.
LABEL = 120
#: An imported file's name.
FILENAME = 500
#: Notes, reasons, descriptions, ceremonies.
FREE_TEXT = 4000
#: A password as typed (long passphrases are fine; megabytes are not).
PASSWORD = 1024
