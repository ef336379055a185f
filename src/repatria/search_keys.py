"""Search keys: every name, alias and document number reduced to keys a database can index.

Pure (no database, no network): the registry stores one row per key (``person_search_keys``,
see ``docs/policy.md``) and looks a query up by key equality or by key prefix, using an index.

Two names *meet* when their key sets intersect (:func:`names_meet`). A query meets a stored
name when one of :func:`query_keys` equals, or is a prefix of, one of the stored keys.

Keys
----
Every key is a namespace and a *skeleton*: ``"n:"`` for names, ``"d:"`` for document numbers.

**Documents** (:func:`document_keys`): NFKC, ``№`` dropped, every character that is not a letter
or a digit dropped (spaces, hyphens, slashes, dots), lower case. Cyrillic letters give two keys:
one with the Latin look-alikes (``А В Е К М Н О Р С Т У Х`` as ``a b e k m h o p c t y x``, as a
clerk copying a series may do) and one transliterated (``РФ`` as ``rf``). So ``RF-0448213``,
``rf 0448213``, ``RF0448213``, ``RF/0448213`` and ``РФ-0448213`` all give ``d:rf0448213``.
Letter O and digit 0 are not merged.

**Names** (:func:`name_keys`). The name is split into tokens at spaces, hyphens, commas, dots
and middle dots. Hangul is romanised letter by letter (no sound changes) by Revised
Romanization (RR) and by McCune–Reischauer (MR) (:func:`romanize`), Cyrillic by one
transliteration of its own (``й`` as ``i``, ``х`` as ``kh``, ``ц`` as ``ts``, ``ы`` as ``y``,
``ь ъ`` dropped, ``ё`` both as ``e`` and as ``yo``). Each rotation of the tokens (all of them up
to 4 tokens; written order and one step each way beyond) is joined *without separators* and
reduced to one skeleton by :func:`skeleton`, so spaces and hyphens never matter and the family
name may come first or last (``Kim Chol Su`` = ``Chol-su Kim``; the given names keep their order:
``Su Chol`` is a different name). Hangul written without spaces is also split after the family
name (one syllable, or two for the two-syllable family names ``남궁 제갈 황보 선우 독고 사공
서문 동방``).

The skeleton (:func:`skeleton`), on Latin text, in this order:

1. Diacritics as the transliterations mean them (``š č ž ŝ`` as ``sh ch zh shch``, ``û â`` as
   ``yu ya``, ``ŏ ŭ`` as ``o u``), then every other mark, apostrophe and prime dropped (MR's
   aspiration ``ch'``, BGN's soft sign ``ʹ``), lower case, only ``a-z 0-9`` kept.
2. Affricates and sibilants: ``tsch tch`` as ``ch``; ``sch`` as ``sh``; ``shch shh sh`` as ``s``;
   ``zh`` as ``z``; ``kh`` as ``h``; ``ch`` as ``c``; ``ts cz`` as ``q`` (the letter ``ц``).
3. Ambiguous Latin letters: ``j`` before a vowel is the affricate (Korean ``j``, English) ``c``;
   ``j`` before a consonant or at the end is the glide of ISO 9 / GOST / German (``Sergej``) and
   becomes ``y``. ``w`` at the end, before a consonant or between vowels is German ``в``
   (``Iwanow``) and becomes ``v``; otherwise (``Kwon``, ``Hwang``) it stays. ``x`` is ``ks``;
   ``c`` before ``e i y`` is ``q``, otherwise ``k``; ``q`` is ``k``; ``ph`` is ``f``.
4. Vowels: ``eo`` as ``o`` (RR ``ㅓ`` = MR ``ŏ``), ``eu`` as ``u`` (``ㅡ``), ``oo`` as ``u``,
   ``ye`` as ``e`` (BGN ``Yevgeniy`` = ICAO ``Evgenii``), ``oo`` as ``u``, ``ee`` as ``i``,
   ``wu`` as ``u`` (popular ``Soo``, ``Hee``, ``Woo``), then ``y`` as ``i``.
5. Consonants: voiced and voiceless merged (``g d b`` as ``k t p``, as MR and RR differ exactly
   there), ``r`` as ``l`` (``ㄹ``), ``f`` as ``v``.
6. Runs of one letter collapsed (``kk`` = ``k``, ``ii`` = ``i``: ``Dmitriy`` = ``Dmitrii`` =
   ``Dmitry``).

Korean extras: a Hangul name also gives its *popular* spelling (``ㅓ ㅕ`` as ``u yu``, ``ㅢ`` as
``i``: ``Chul``, ``Hyun``, ``Hee``), all syllables at once, and its family name in the common
spellings of :data:`KOREAN_FAMILY_NAMES` (``이`` as ``Lee Yi Rhee Ri``, ``박`` as ``Park Pak``);
a Latin first or last token that is one of those spellings also gives the RR spelling, so
``Park Chul-soo`` meets ``Bak Cheol-su`` and ``박철수``.

Known false matches (the price of the merges; a reviewer sees every hit):
voicing (``Gorin`` = ``Korin``, ``김`` = ``킴`` = ``낌``), ``r``/``l``, ``ш``/``с`` and
``ж``/``з`` (``Shubin`` = ``Subin``), ``ы``/``и``, ``ф``/``в``, ``ㅓ``/``ㅗ`` and ``ㅡ``/``ㅜ``
(``서`` = ``소``, ``은`` = ``운``), ``ㅖ``/``ㅔ`` (``계`` = ``게``), and the rotations
(``Kim Chol Su`` also keys ``Su Kim Chol``).
Known misses: German ``j`` before a vowel (``Jurij``, ``Jelena``; write ``Yuri``, ``Yelena`` or
the Cyrillic), German ``ch`` and ``z`` for ``х`` and ``ц``, GOST-B ``x`` for ``х``, ISO ``c`` for
``ц`` before ``a o u``, Ukrainian ``h`` for ``г``, ``Pyotr`` = ``Petr`` only through the
Cyrillic, mixed popular Korean spellings (``Jung Yeon``) and ``Young`` for ``영``.

>>> names_meet("Kim Chol Su", "김 철수"), names_meet("Gim Cheol-su", "Kim Ch'ŏl-su")
(True, True)
>>> names_meet("Иванов Сергей", "Ivanov Sergey"), names_meet("Iwanow Sergej", "Ivanov Sergei")
(True, True)
>>> names_meet("Kim Chol Su", "Kim Chol Min")
False
>>> sorted(document_keys("RF-0448213"))
['d:rf0448213']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

__all__ = [
    "KEYS_VERSION",
    "NAME",
    "DOCUMENT",
    "KOREAN_FAMILY_NAMES",
    "hangul_jamo",
    "romanize",
    "cyrillic_to_latin",
    "skeleton",
    "name_keys",
    "document_keys",
    "query_keys",
    "names_meet",
    "prefix_range",
]

#: Version of the key rules: stored keys made by another version are rebuilt (docs/policy.md).
KEYS_VERSION = 1
#: Namespace of name keys.
NAME = "n:"
#: Namespace of document-number keys.
DOCUMENT = "d:"

_SBASE, _NMEDIAL, _NFINAL = 0xAC00, 21, 28
_NSYLLABLES = 19 * _NMEDIAL * _NFINAL

_RR_INITIAL = "g kk n d tt r m b pp s ss - j jj ch k t p h".split()
_MR_INITIAL = "k kk n t tt r m p pp s ss - ch tch ch' k' t' p' h".split()
_RR_MEDIAL = "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split()
_MR_MEDIAL = "a ae ya yae ŏ e yŏ ye o wa wae oe yo u wŏ we wi yu ŭ ŭi i".split()
#: Popular spelling: ㅓ ㅕ ㅝ as u yu wu (Chul, Hyun), ㅡ as eu, ㅢ as i (Hee).
_POP_MEDIAL = "a ae ya yae u e yu ye o wa wae oe yo u wo we wi yu eu i i".split()
_RR_FINAL = "- k k k n n n t l k m l l l p l m p p t t ng t t k t p t".split()

#: Common family names: Hangul -> spellings, the RR one first (with the Koryo-saram
#: spellings of Russian papers: ``Цой`` for ``최``, ``Тен`` for ``정``, ``Тян`` for ``장``).
KOREAN_FAMILY_NAMES: dict[str, tuple[str, ...]] = {
    "김": ("gim", "kim"),
    "이": ("i", "lee", "yi", "rhee", "ri", "li"),
    "리": ("ri", "lee", "li", "yi", "i"),
    "박": ("bak", "park", "pak"),
    "최": ("choe", "choi", "chwe", "tsoi", "tsoy"),
    "정": ("jeong", "jung", "chung", "chong", "ten"),
    "강": ("gang", "kang"),
    "조": ("jo", "cho"),
    "윤": ("yun", "yoon"),
    "장": ("jang", "chang", "tyan"),
    "임": ("im", "lim", "rim"),
    "림": ("rim", "lim", "im"),
    "오": ("o", "oh"),
    "서": ("seo", "suh"),
    "신": ("sin", "shin"),
    "권": ("gwon", "kwon"),
    "안": ("an", "ahn"),
    "류": ("ryu", "yoo", "yu", "ryoo"),
    "유": ("yu", "yoo"),
    "전": ("jeon", "chun", "jun"),
    "고": ("go", "ko"),
    "문": ("mun", "moon"),
    "손": ("son", "sohn"),
    "배": ("bae", "pae"),
    "백": ("baek", "paek", "baik", "paik"),
    "노": ("no", "noh", "roh"),
    "로": ("ro", "roh", "no"),
    "허": ("heo", "hur", "huh"),
    "구": ("gu", "koo", "ku"),
    "주": ("ju", "joo", "chu"),
    "우": ("u", "woo"),
    "한": ("han",),
    "홍": ("hong",),
    "황": ("hwang",),
    "송": ("song",),
}
_TWO_SYLLABLE_FAMILY = ("남궁", "제갈", "황보", "선우", "독고", "사공", "서문", "동방")

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    "і": "i", "ї": "i", "є": "e", "ґ": "g", "ў": "u",
}  # fmt: skip
_LOOKALIKE = dict(zip("авекмнорстух", "abekmhopctyx", strict=True))
_PREMAP = {
    "š": "sh", "č": "ch", "ž": "zh", "ŝ": "shch", "ĉ": "ch", "û": "yu", "â": "ya",
    "ŏ": "o", "ŭ": "u", "ß": "ss", "ä": "a", "ö": "o", "ü": "u", "ǐ": "i",
}  # fmt: skip
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—,.·・/_]+")
_VOWELS = "aeiouy"

System = Literal["rr", "mr", "popular"]


def hangul_jamo(syllable: str) -> tuple[int, int, int] | None:
    """``(initial, medial, final)`` indices of a precomposed Hangul syllable, else ``None``.

    ``syllable = 0xAC00 + (initial * 21 + medial) * 28 + final`` (final 0: none).

    >>> hangul_jamo("김"), hangul_jamo("가"), hangul_jamo("k")
    ((0, 20, 16), (0, 0, 0), None)
    """
    s = ord(syllable) - _SBASE
    if not 0 <= s < _NSYLLABLES:
        return None
    return s // (_NMEDIAL * _NFINAL), (s % (_NMEDIAL * _NFINAL)) // _NFINAL, s % _NFINAL


def romanize(text: str, system: System = "rr") -> str:
    """Hangul syllables romanised letter by letter (no sound changes); other characters kept.

    ``system``: ``"rr"`` (Revised Romanization), ``"mr"`` (McCune–Reischauer, with its breves
    and aspiration marks) or ``"popular"`` (RR consonants, ``ㅓ ㅕ ㅢ`` as ``u yu i``).

    >>> romanize("김철수"), romanize("김철수", "mr"), romanize("김철수", "popular")
    ('gimcheolsu', "kimch'ŏlsu", 'gimchulsu')
    """
    initials = _MR_INITIAL if system == "mr" else _RR_INITIAL
    medials = {"rr": _RR_MEDIAL, "mr": _MR_MEDIAL, "popular": _POP_MEDIAL}[system]
    out = []
    for ch in text:
        j = hangul_jamo(ch)
        if j is None:
            out.append(ch)
            continue
        i, m, f = j
        out.append(initials[i].replace("-", "") + medials[m] + _RR_FINAL[f].replace("-", ""))
    return "".join(out)


def cyrillic_to_latin(text: str) -> tuple[str, ...]:
    """Cyrillic letters transliterated (see the module's notes); other characters kept.

    Two readings when the text has ``ё``: as ``e`` and as ``yo`` (``Фёдор``: Fedor, Fyodor).

    >>> cyrillic_to_latin("Пётр")
    ('petr', 'pyotr')
    """
    low = text.lower()
    ways = ("e", "yo") if "ё" in low else ("e",)
    return tuple("".join(_CYRILLIC.get(c, c) if c != "ё" else w for c in low) for w in ways)


def _ascii(text: str) -> str:
    low = text.lower()
    low = "".join(_PREMAP.get(c, c) for c in low)
    decomposed = unicodedata.normalize("NFKD", low)
    return "".join(c for c in decomposed if "a" <= c <= "z" or "0" <= c <= "9")


def _glides(s: str) -> str:
    """Step 3 of the skeleton: ``j``, ``w``, ``x``, ``c``, ``q``, ``ph``."""
    out = []
    n = len(s)
    for k, c in enumerate(s):
        nxt = s[k + 1] if k + 1 < n else ""
        prev = s[k - 1] if k else ""
        if c == "j":
            out.append("C" if nxt and nxt in _VOWELS else "y")
        elif c == "w":
            between = prev and prev in _VOWELS and nxt and nxt in _VOWELS
            out.append("v" if not nxt or nxt not in _VOWELS or between else "w")
        elif c == "x":
            out.append("ks")
        elif c == "c":
            out.append("Q" if nxt and nxt in "eiy" else "k")
        elif c == "q":
            out.append("k")
        else:
            out.append(c)
    return "".join(out)


_STEP2 = (
    ("tsch", "ch"), ("tch", "ch"), ("sch", "sh"), ("shch", "s"), ("shh", "s"), ("sh", "s"),
    ("zh", "z"), ("kh", "h"), ("ph", "f"), ("ch", "C"), ("ts", "Q"), ("cz", "Q"),
)  # fmt: skip
_STEP4 = (("eo", "o"), ("eu", "u"), ("ye", "e"), ("oo", "u"), ("ee", "i"), ("wu", "u"))
_STEP5 = str.maketrans({"y": "i", "g": "k", "d": "t", "b": "p", "r": "l", "f": "v"})


def skeleton(latin: str) -> str:
    """The skeleton of a Latin-script string (the rules are in the module's docstring).

    >>> skeleton("Gim Cheol-su"), skeleton("Kim Ch'ŏl-su"), skeleton("kim cholsu")
    ('kimcolsu', 'kimcolsu', 'kimcolsu')
    >>> skeleton("Sergey"), skeleton("Sergei"), skeleton("Sergej"), skeleton("Iwanow")
    ('selkei', 'selkei', 'selkei', 'ivanov')
    """
    s = _ascii(latin)
    for a, b in _STEP2:
        s = s.replace(a, b)
    s = _glides(s)
    for a, b in _STEP4:
        s = s.replace(a, b)
    s = s.translate(_STEP5).lower()
    return re.sub(r"(.)\1+", r"\1", s)


def _tokens(name: str) -> list[str]:
    return [t for t in _SEPARATORS.split(unicodedata.normalize("NFC", name)) if t]


def _rotations(tokens: list[str]) -> list[list[str]]:
    n = len(tokens)
    shifts = range(n) if n <= 4 else (0, 1, n - 1)
    return [tokens[k:] + tokens[:k] for k in shifts]


def _has_hangul(s: str) -> bool:
    return any(hangul_jamo(c) is not None for c in s)


def _split_hangul(tokens: list[str]) -> list[list[str]]:
    """The tokens, and, for one unspaced Hangul token, the family name split off."""
    out = [tokens]
    if len(tokens) == 1 and _has_hangul(tokens[0]) and len(tokens[0]) >= 2:
        t = tokens[0]
        k = 2 if t[:2] in _TWO_SYLLABLE_FAMILY and len(t) > 2 else 1
        out.append([t[:k], t[k:]])
    return out


_REVERSE_FAMILY: dict[str, set[str]] = {}
for _spellings in KOREAN_FAMILY_NAMES.values():
    for _sp in _spellings:
        _REVERSE_FAMILY.setdefault(skeleton(_sp), set()).add(_spellings[0])


def _latin_token_readings(token: str) -> list[str]:
    """Latin readings of one token: Hangul by RR, MR and popular, then Cyrillic transliterated."""
    hangul = (
        [romanize(token, s) for s in ("rr", "mr", "popular")] if _has_hangul(token) else [token]
    )
    return list(dict.fromkeys(c for h in hangul for c in cyrillic_to_latin(h)))


def _family_readings(token: str) -> list[str]:
    """Extra readings of a token in the family name's place: the common spellings."""
    if token in KOREAN_FAMILY_NAMES:
        return list(KOREAN_FAMILY_NAMES[token])
    return sorted(_REVERSE_FAMILY.get(skeleton(_latin_token_readings(token)[0]), ()))


def _token_options(tokens: list[str]) -> list[list[str]]:
    opts = []
    for k, t in enumerate(tokens):
        readings = _latin_token_readings(t)
        if k in (0, len(tokens) - 1):
            readings += _family_readings(t)
        opts.append(list(dict.fromkeys(readings)))
    return opts


def _combine(options: list[list[str]]) -> Iterable[list[str]]:
    """Readings of a token list: the first reading of every token with one token varied, and
    all tokens in the same reading (Hangul: all RR, all MR, all popular)."""
    base = [o[0] for o in options]
    yield base
    for k, o in enumerate(options):
        for r in o[1:]:
            yield base[:k] + [r] + base[k + 1 :]
    width = max((len(o) for o in options), default=0)
    for w in range(1, width):
        yield [o[min(w, len(o) - 1)] for o in options]


def name_keys(name: str) -> frozenset[str]:
    """The keys of one name (any script): ``"n:"`` and a skeleton, per rotation and reading.

    >>> sorted(name_keys("Kim Cholsu"))
    ['n:colsukim', 'n:kimcolsu']
    >>> "n:kimculsu" in name_keys("김철수")
    True
    """
    keys: set[str] = set()
    for split in _split_hangul(_tokens(name)):
        for rotation in _rotations(split):
            for reading in _combine(_token_options(rotation)):
                sk = skeleton("".join(reading))
                if sk:
                    keys.add(NAME + sk)
    return frozenset(keys)


def document_keys(number: str) -> frozenset[str]:
    """The keys of a document number: case, spaces, hyphens and separators ignored.

    >>> sorted(document_keys("РФ-0448213")), sorted(document_keys("ab 12/34"))
    (['d:pf0448213', 'd:rf0448213'], ['d:ab1234'])
    """
    s = unicodedata.normalize("NFKC", number.replace("№", "")).lower()
    s = "".join(c for c in s if c.isalnum())
    if not s:
        return frozenset()
    out = {s}
    if any("\u0400" <= c <= "\u04ff" for c in s):
        out = {
            "".join(_CYRILLIC.get(c, c) for c in (_LOOKALIKE.get(c, c) for c in s)),
            "".join(_CYRILLIC.get(c, c) for c in s),
        }
    return frozenset(DOCUMENT + k for k in out if k)


def query_keys(query: str) -> frozenset[str]:
    """What a search looks up: the query's name keys and its document keys."""
    return name_keys(query) | document_keys(query)


def names_meet(a: str, b: str) -> bool:
    """Do two names share a key?"""
    return not name_keys(a).isdisjoint(name_keys(b))


def prefix_range(key: str) -> tuple[str, str]:
    """``(low, high)`` such that ``low <= k < high`` exactly when ``k`` starts with ``key``.

    For an index range scan (``WHERE key >= :low AND key < :high``), which every database
    serves from a B-tree index whatever its collation of ``LIKE`` (compare the column in binary
    order: ``COLLATE "C"`` on PostgreSQL, SQLite's default). Name keys are ASCII.

    >>> prefix_range("n:kim")
    ('n:kim', 'n:kin')
    """
    return key, key[:-1] + chr(ord(key[-1]) + 1)
