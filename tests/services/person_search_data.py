"""A persons file for the search tests: 145 persons, Korean soldiers under false Russian papers and
Russian soldiers, the first being the issue's case (김철수, Kim Chol-su, carrying RF-0448213 in
the name of Алдар Очиров)."""

from __future__ import annotations

from pathlib import Path

from registry_samples import PERSON_HEADER

__all__ = ["N_PERSONS", "write_persons"]

N_PERSONS = 145

_KOREAN = [
    ("김", "Kim", "영호", "Yong-ho"),
    ("박", "Pak", "민준", "Min-jun"),
    ("리", "Ri", "성민", "Song-min"),
    ("최", "Choe", "광혁", "Kwang-hyok"),
    ("정", "Jong", "명일", "Myong-il"),
    ("강", "Kang", "혁", "Hyok"),
]
_RUSSIAN = [
    ("Иванов Сергей", "Ivanov Sergei"),
    ("Петров Алексей", "Petrov Aleksei"),
    ("Смирнов Дмитрий", "Smirnov Dmitrii"),
    ("Кузнецов Андрей", "Kuznetsov Andrei"),
    ("Волков Николай", "Volkov Nikolai"),
]
_FALSE = ["Бато Доржиев", "Баир Цыренов", "Алдар Будаев", "Чингис Намсараев"]


def _line(i: int) -> str:
    ref = f"P-{i:04d}"
    if i == 1:
        cells = [
            ref, "김철수", "Hang", "Kim Chol-su",
            "Алдар Очиров|false|Cyrl|Aldar Ochirov;Kim Cholsu|transliteration|Latn|",
            "male", "SN-200114", "11th Corps",
            "military id|RF-0448213|Russian Federation|Алдар Очиров|false",
            "missing", "Plekhovo, Kursk", "51.24", "35.11",
        ]  # fmt: skip
    elif i % 2:
        fam, fam_rr, given, given_rr = _KOREAN[i % len(_KOREAN)]
        false = _FALSE[i % len(_FALSE)]
        cells = [
            ref, f"{fam}{given}{i}", "Hang", f"{fam_rr} {given_rr} {i}",
            f"{false} {i}|false|Cyrl|", "male", f"SN-{200000 + i}", "11th Corps",
            f"military id|RF-05{i:05d}|Russian Federation|{false} {i}|false",
            "missing", "Sudzha", "51.19", "35.27",
        ]  # fmt: skip
    else:
        name, latin = _RUSSIAN[i % len(_RUSSIAN)]
        cells = [
            ref, f"{name} {i}", "Cyrl", f"{latin} {i}", "", "male", f"RA-{i:06d}",
            "810th Brigade", "", "missing", "Kursk", "51.7", "36.2",
        ]  # fmt: skip
    return "\t".join(cells)


def write_persons(path: Path, n: int = N_PERSONS) -> Path:
    path.write_text(PERSON_HEADER + "\n" + "".join(_line(i) + "\n" for i in range(1, n + 1)))
    return path
