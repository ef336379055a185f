"""Page times on a registry of 10^4 persons: the target is < 200 ms a page (issue 18).

Two registries in one run, both from the demo scenario (its users, runs, candidates and
decisions): the **baseline** is the demo as loaded (a few dozen records); the **large** one
has ``--persons`` persons more, with proportionate remains (one per two persons, each its own
body and PM sample), reference families (one per four persons, a donor each) and candidate
matches (one per ten persons, waiting to be proposed, with a demo candidate's evidence), all
in bulk (Core inserts, as ``benchmarks/person_search.py`` fills persons). Then, logged in as
the case manager, each main page is requested ``--repeat`` times in-process (the TestClient:
the server's own time, no network) and p50 and p95 are printed for both registries.

Never a test: numbers depend on the machine.

    PYTHONPATH=src .venv/bin/python benchmarks/page_times.py [--persons 10000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from person_search import _person  # noqa: E402  (the same persons the search benchmark uses)

SITES = [(f"Site {k:02d}", 37.5 + k * 0.05, 127.0 + k * 0.07) for k in range(40)]


def _next_ids(conn: Any, *tables: Any) -> dict[str, int]:
    from sqlalchemy import func, select

    return {t.__tablename__: (conn.execute(select(func.max(t.id))).scalar() or 0) for t in tables}


def fill(db: str, n: int) -> dict[str, int]:
    """Add ``n`` persons and proportionate remains, families and candidates; what was added."""
    from sqlalchemy import insert, select

    from repatria.registry.db import get_engine
    from repatria.registry.models import (
        Body,
        BodyPart,
        CandidateMatch,
        Donor,
        PedigreeMember,
        Person,
        PersonDocument,
        PersonName,
        PersonSearchKey,
        ReferenceFamily,
        Remains,
        Sample,
    )
    from repatria.registry.search_index import person_key_rows
    from repatria.vocabulary import CONDITIONS

    rng = random.Random(18)
    engine = get_engine(db)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        top = _next_ids(
            conn, Person, PersonName, PersonDocument, Remains, Sample, Body, BodyPart,
            ReferenceFamily, PedigreeMember, Donor, CandidateMatch,
        )  # fmt: skip
        demo = conn.execute(
            select(CandidateMatch.run_id, CandidateMatch.evidence, CandidateMatch.log10_lr)
            .where(CandidateMatch.run_id.is_not(None))
            .limit(1)
        ).one()
        persons, names, docs, keys = [], [], [], []
        nid, did = top["person_names"], top["person_documents"]
        for k in range(1, n + 1):
            i = top["persons"] + k
            p, pn, pd = _person(k, rng)
            p["ref"] = f"B-{k:06d}"
            persons.append({"id": i, **p})
            nrows, drows = [], []
            for name, kind, script, tr in pn:
                nid += 1
                names.append(
                    {"id": nid, "person_id": i, "name": name, "kind": kind, "script": script,
                     "transliteration": tr}
                )  # fmt: skip
                nrows.append((nid, name, tr))
            for typ, number, on_doc in pd:
                did += 1
                docs.append(
                    {"id": did, "person_id": i, "doc_type": typ, "number": number,
                     "name_on_document": on_doc, "authenticity": "false" if on_doc else "genuine"}
                )  # fmt: skip
                drows.append((did, number, on_doc))
            keys += person_key_rows(i, p["ref"], p["service_number"], nrows, drows)
        remains, samples, bodies, parts = [], [], [], []
        n_rem = n // 2
        for k in range(1, n_rem + 1):
            site, lat, lon = rng.choice(SITES)
            rid, sid, bid = top["remains"] + k, top["samples"] + k, top["bodies"] + k
            on = f"20{rng.randint(10, 24)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
            remains.append(
                {"id": rid, "ref": f"BR-{k:06d}", "site": site, "site_lat": lat, "site_lon": lon,
                 "recovered_on": on,
                 "condition": rng.choice(CONDITIONS), "status": "sampled"}
            )  # fmt: skip
            samples.append({"id": sid, "ref": f"BR-{k:06d}-S", "kind": "pm", "remains_id": rid})
            bodies.append({"id": bid, "ref": f"BR-{k:06d}", "status": "sampled"})
            parts.append(
                {"id": top["body_parts"] + k, "body_id": bid, "remains_id": rid,
                 "sample_id": sid, "added_by": "import"}
            )  # fmt: skip
        families, members, donors = [], [], []
        n_fam = n // 4
        for k in range(1, n_fam + 1):
            fid, pid, don = top["reference_families"] + k, top["persons"] + k, top["donors"] + k
            families.append({"id": fid, "ref": f"BF-{k:06d}", "version": 1})
            donors.append(
                {"id": don, "ref": f"BD-{k:06d}", "family_id": fid, "mp_person_id": pid,
                 "relationship_to_mp": "father", "consent_given_on": "2020-01-01"}
            )  # fmt: skip
            samples.append(
                {"id": top["samples"] + n_rem + k, "ref": f"BD-{k:06d}-S", "kind": "reference",
                 "donor_id": don}
            )  # fmt: skip
            m = top["pedigree_members"] + 2 * k
            members.append(
                {"id": m - 1, "family_id": fid, "individual": "FA", "sex": "male", "donor_id": don}
            )
            members.append(
                {"id": m, "family_id": fid, "individual": "MP", "father": "FA", "sex": "male",
                 "person_id": pid}
            )  # fmt: skip
        cands = []
        for k in range(1, n // 10 + 1):
            r = rng.randint(1, n_rem)
            cands.append(
                {"id": top["candidate_matches"] + k, "run_id": demo.run_id,
                 "person_id": top["persons"] + k, "remains_id": top["remains"] + r,
                 "body_id": top["bodies"] + r, "sample_id": top["samples"] + r,
                 "log10_lr": rng.uniform(2, 12), "posterior": rng.random(),
                 "evidence": demo.evidence}
            )  # fmt: skip
        for model, rows in (
            (Person, persons), (PersonName, names), (PersonDocument, docs),
            (PersonSearchKey, keys), (Remains, remains), (Body, bodies),
            (ReferenceFamily, families), (Donor, donors), (Sample, samples),
            (BodyPart, parts), (PedigreeMember, members), (CandidateMatch, cands),
        ):  # fmt: skip
            # one executemany needs the same columns in every row
            cols = {c for r in rows for c in r}
            rows = [{c: r.get(c) for c in cols} for r in rows]
            for start in range(0, len(rows), 5000):
                conn.execute(insert(model), rows[start : start + 5000])
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    added = {"persons": n, "remains": n_rem, "families": n_fam, "candidates": len(cands)}
    print(f"  filled {added} in {time.perf_counter() - t0:.1f} s")
    return added


def registry(folder: Path, name: str, n: int) -> tuple[str, Any]:
    from repatria.services.access.auth import set_demo_passwords
    from repatria.services.workflows.demo_scenario import load_demo

    db = str(folder / f"{name}.sqlite")
    summary = load_demo(db)
    set_demo_passwords(db, [u for u, _ in summary.users])
    if n:
        fill(db, n)
    return db, summary


def client_for(db: str) -> Any:
    from fastapi.testclient import TestClient

    from repatria.api.app import create_app

    client = TestClient(create_app(db))
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = client.post(
        "/login", data={"name": "cas", "password": "demo-cas", "csrf_token": token, "next": "/"}
    )
    assert r.status_code == 200, r.text
    return client


def pages(summary: Any) -> list[tuple[str, str]]:
    cand = summary.candidates[0]
    person, remains = cand["missing"], cand.get("remains") or cand["pm"]
    return [
        ("/persons", "/persons"),
        ("/persons?q=", "/persons?q=Kim"),
        ("a person", f"/persons/{person}"),
        ("/remains", "/remains"),
        ("a remains", f"/remains/{remains}"),
        ("its custody", f"/remains/{remains}/custody"),
        ("/review", "/review"),
        ("a match page", f"/matches/{cand['id']}"),
        ("/families", "/families"),
        ("/lists/remains", "/lists/remains"),
        ("/lists/to-propose", "/lists/to-propose"),
        ("/lists/to-review", "/lists/to-review"),
        ("/map", "/map"),
        ("/accounting", "/accounting"),
        ("/", "/"),
    ]


def timed(client: Any, path: str, repeat: int) -> tuple[float, float, int]:
    times, status = [], 0
    client.get(path)  # warm: templates compiled, caches filled
    for _ in range(repeat):
        t = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - t) * 1000)
        status = r.status_code
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, status


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="repatria-page-times-"))
    print("baseline: the demo registry")
    base_db, summary = registry(tmp, "baseline", 0)
    print(f"large: the demo registry and {args.persons} persons more")
    big_db, _ = registry(tmp, "large", args.persons)
    base, big = client_for(base_db), client_for(big_db)
    from repatria.api.app import settle_heap

    settle_heap()  # as `repatria serve` does when it starts
    print(f"\n{args.repeat} requests per page, as the case manager (ms)")
    print(f"{'page':22s} {'base p50':>9s} {'base p95':>9s} {'p50':>8s} {'p95':>8s}  status")
    for label, path in pages(summary):
        b50, b95, _ = timed(base, path, args.repeat)
        l50, l95, status = timed(big, path, args.repeat)
        flag = "" if l95 < 200 else "  <- over 200 ms"
        print(f"{label:22s} {b50:9.1f} {b95:9.1f} {l50:8.1f} {l95:8.1f}  {status}{flag}")


if __name__ == "__main__":
    main()
