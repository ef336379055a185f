"""Small registry TSVs and the users of the workflow tests."""

from __future__ import annotations

from pathlib import Path

USERS = {"ada": "admin", "ana": "analyst", "alex": "analyst", "rev": "reviewer",
         "rita": "reviewer", "cas": "case_manager", "lia": "liaison_officer", "aud": "auditor"}

PERSON_HEADER = ("person_ref\tname\tname_script\tname_transliteration\taliases\tsex\tservice_number"
                 "\tunit\tdocuments\tstatus\tlast_known_place\tlast_known_lat\tlast_known_lon")
REMAINS_HEADER = "remains_ref\tsite\tsite_lat\tsite_lon\trecovered_on\trecovered_by\tcondition\teffects"


def person_line(i: int) -> str:
    return "\t".join([
        f"P-{i:04d}", f"김철수{i}", "Hang", f"Kim Chol-su {i}",
        f"Ivan Petrov {i}|false|Latn|;Kim Cholsu|transliteration|Latn|", "male", f"SN-{i:06d}",
        "11th Corps", f"military id|RU-{i}|Russia|Ivan Petrov {i}|foreign", "missing",
        "Plekhovo, Kursk", "51.24", "35.11"])


def remains_line(i: int) -> str:
    return "\t".join([f"R-{i:04d}", "Plekhovo field 3", "51.25", "35.12", "2025-02-01",
                      "recovery team 2", "burned" if i % 2 else "fragmentary",
                      "tag|partly melted dog tag;notebook|Korean script, water damaged"])


def write_persons(path: Path, n: int) -> Path:
    path.write_text("# test persons\n" + PERSON_HEADER + "\n"
                    + "\n".join(person_line(i) for i in range(1, n + 1)) + "\n", encoding="utf-8")
    return path


def write_remains(path: Path, n: int) -> Path:
    path.write_text(REMAINS_HEADER + "\n" + "\n".join(remains_line(i) for i in range(1, n + 1)) + "\n",
                    encoding="utf-8")
    return path
