"""Search keys (:mod:`repatria.search_keys`): spellings that must meet, and names that must not."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.search_keys import (
    document_keys,
    hangul_jamo,
    name_keys,
    names_meet,
    prefix_range,
    query_keys,
    romanize,
    skeleton,
)

KIM_CHOL_SU = [
    "Kim Chol Su",
    "Kim Chol-su",
    "kim cholsu",
    "KIM CHOLSU",
    "김 철수",
    "김철수",
    "Gim Cheol-su",
    "Kim Ch'ŏl-su",
    "Kim Ch’ŏlsu",
    "Chol-su Kim",
    "Cheolsu Gim",
    "Kim, Chol Su",
    "KimCholSu",
]
IVANOV_SERGEY = [
    "Иванов Сергей",
    "ИВАНОВ СЕРГЕЙ",
    "Сергей Иванов",
    "Ivanov Sergey",  # BGN/PCGN
    "Ivanov Sergei",  # ICAO 9303
    "IVANOV SERGEI",
    "Ivanov Sergej",  # ISO 9 / GOST
    "Iwanow Sergej",  # German
    "Sergei Ivanov",
    "Sergey Ivanov",
]


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations(KIM_CHOL_SU, 2)))
def test_kim_chol_su_spellings_meet(a: str, b: str) -> None:
    assert names_meet(a, b)


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations(IVANOV_SERGEY, 2)))
def test_ivanov_sergey_spellings_meet(a: str, b: str) -> None:
    assert names_meet(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("김철수", "Kim Chul-soo"),  # popular spelling: from the Hangul only
        ("박철수", "Park Chul-soo"),
        ("박철수", "Bak Cheol-su"),
        ("박철수", "Pak Ch'ŏl-su"),
        ("Park Cheol-su", "Pak Chol Su"),
        ("이순신", "Lee Sun-sin"),
        ("이순신", "Yi Sun-shin"),
        ("이순신", "Ri Sun Sin"),
        ("최영", "Choi Yong"),
        ("최영", "Ch'oe Yŏng"),
        ("정성철", "Jeong Seong-cheol"),
        ("정성철", "Chung Sung-chul"),
        ("정성철", "Chŏng Sŏng-ch'ŏl"),
        ("남궁민", "Namgung Min"),
        ("최철수", "Цой Чол Су"),  # a Koryo-saram family name on Russian papers
        ("Цой Чол Су", "Choi Chol-su"),
        ("Ким Чол Су", "김철수"),
        ("남궁민", "Min Namgung"),
        ("Петров Дмитрий Алексеевич", "Petrov Dmitriy Alekseyevich"),  # BGN
        ("Петров Дмитрий Алексеевич", "PETROV DMITRII ALEKSEEVICH"),  # ICAO
        ("Петров Дмитрий Алексеевич", "Petrov Dmitrij Alekseevič"),  # ISO 9
        ("Петров Дмитрий", "Dmitry Petrov"),
        ("Евгений Жуков", "Yevgeniy Zhukov"),
        ("Евгений Жуков", "Evgenii Zhukov"),
        ("Евгений Жуков", "Evgenij Žukov"),
        ("Юлия Щербакова", "Yuliya Shcherbakova"),
        ("Юлия Щербакова", "Iuliia Shcherbakova"),
        ("Юлия Щербакова", "Ûliâ Ŝerbakova"),  # ISO 9
        ("Фёдор Хрусталёв", "Fyodor Khrustalyov"),
        ("Фёдор Хрусталёв", "Fedor Khrustalev"),
        ("Цветков Андрей", "Tsvetkov Andrei"),
        ("Цветков Андрей", "Tsvetkov Andrey"),
        ("Мария", "Maria"),
        ("Мария", "Mariya"),
        ("Aleksandr", "Alexandr"),
        ("Viktor", "Victor"),
    ],
)
def test_transliterations_meet(a: str, b: str) -> None:
    assert names_meet(a, b), (sorted(name_keys(a)), sorted(name_keys(b)))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kim Chol Su", "Kim Chol Min"),
        ("Kim Chol Su", "Pak Chol Su"),
        ("Kim Chol Su", "Kim Su Chol"),  # given names in the other order are another name
        ("김철수", "김수철"),
        ("김철수", "이철수"),
        ("Иванов Сергей", "Иванов Семён"),
        ("Ivanov Sergey", "Ivanova Svetlana"),
        ("Ivanov Sergey", "Petrov Sergey"),
        ("Kim Chol Su", "Ivanov Sergey"),
        ("Jun", "Yun"),  # 준 and 윤: a Latin j before a vowel is never a glide
        ("Seojun", "Seoyun"),
        ("Kim Chol Su", "Kim Chul-soo"),  # known miss: Latin MR and Latin popular do not meet
    ],
)
def test_unrelated_names_do_not_meet(a: str, b: str) -> None:
    assert not names_meet(a, b)


def test_hangul_decomposition_known_answers() -> None:
    # 김 = 0xAC00 + (0*21 + 20)*28 + 16: ㄱ, ㅣ, ㅁ
    assert hangul_jamo("김") == (0, 20, 16)
    assert hangul_jamo("힣") == (18, 20, 27)  # the last syllable, U+D7A3
    assert hangul_jamo("\u3131") is None  # a compatibility jamo is not a syllable
    assert romanize("정성철") == "jeongseongcheol"
    assert romanize("정성철", "mr") == "chŏngsŏngch'ŏl"
    assert romanize("최영", "mr") == "ch'oeyŏng"
    assert romanize("희", "popular") == "hi"


def test_skeleton_known_answers() -> None:
    assert skeleton("Gim Cheol-su") == "kimcolsu"
    assert skeleton("Shcherbakova") == skeleton("Ŝerbakova") == "selpakova"
    assert skeleton("Dmitriy") == skeleton("Dmitrii") == skeleton("Dmitry") == "tmitli"
    assert skeleton("Tsvetkov") == "qvetkov"


def test_prefix_lookup_finds_a_longer_name() -> None:
    stored = name_keys("Ivanov Sergey Petrovich")
    for query in ("Ivanov", "Ivanov Sergei", "Сергей Иванов", "Sergey"):
        lows = [prefix_range(k) for k in name_keys(query)]
        assert any(lo <= k < hi for lo, hi in lows for k in stored), query


@pytest.mark.parametrize(
    "number", ["RF-0448213", "rf 0448213", "RF0448213", "RF/0448213", " rf.0448213 ", "РФ-0448213"]
)
def test_document_numbers_meet(number: str) -> None:
    assert "d:rf0448213" in document_keys(number)
    assert "d:rf0448213" in query_keys(number)


def test_document_numbers_that_differ_do_not_meet() -> None:
    assert document_keys("RF-0448213").isdisjoint(document_keys("RF-0448214"))
    assert document_keys("AB 123").isdisjoint(document_keys("AB 12 3 4"))
    assert document_keys("№ 123") == document_keys("123") == frozenset({"d:123"})
    assert document_keys("--") == frozenset()


def test_keys_are_ascii() -> None:
    for name in [*KIM_CHOL_SU, *IVANOV_SERGEY]:
        assert all(k.isascii() for k in name_keys(name))
    assert all(k.isascii() for k in document_keys("РФ-0448213 №5"))


_letters = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz김철수박이영иваносергей", min_size=1, max_size=8
)


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(_letters, min_size=1, max_size=4),
    seps=st.lists(st.sampled_from([" ", "  ", "-", " - ", ", ", "\t"]), min_size=4, max_size=4),
    upper=st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_keys_stable_under_case_spaces_and_hyphens(
    words: list[str], seps: list[str], upper: list[bool]
) -> None:
    plain = " ".join(words)
    cased = [w.upper() if u else w for w, u in zip(words, upper, strict=False)]
    varied = "".join(w + s for w, s in zip(cased, seps, strict=False)).strip(" -,\t")
    assert name_keys(varied) == name_keys(plain)
    # Removing every separator keeps the written-order key: the two still meet.
    assert names_meet("".join(words), plain)
