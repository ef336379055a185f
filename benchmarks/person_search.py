"""Person search over 10^5 persons, 20 searches at a time: the target is p95 < 50 ms (issue 15).

Builds ``--persons`` persons in a fresh registry (Korean soldiers with Hangul names, their RR
transliteration and a false Russian name and military ID; Russian soldiers in Cyrillic with a
Latin alias and a passport), with their search keys written by the same ``person_key_rows`` the
registry uses, then times, with ``--threads`` threads each running ``--searches`` searches
from a mix of full names, spellings, family-name prefixes and document numbers:

- the service (``views.search_persons``: one read transaction, role check, index seeks, one
  page of 50 with names and papers), after ``--warm`` searches a thread of other queries, as
  a server that has been serving has its pool's connections open (``--warm 0`` times a cold
  pool: on PostgreSQL the timed searches then also start twenty server processes);
- the HTTP API (``GET /api/v1/persons?q=``) of a running ``repatria serve`` on loopback, when
  ``--http`` is given;
- the baselines in the same run: the Python scan that the search replaced (every person and
  name loaded and folded per search), and a SQL ``LIKE '%q%'`` scan over names and numbers.

On SQLite always; on PostgreSQL too when its binaries are installed (a throwaway server in a
temporary directory, as the tests' fixture starts one), else it says why it skipped.

    PYTHONPATH=src .venv/bin/python benchmarks/person_search.py \
        [--persons 100000] [--threads 20] [--searches 25] [--warm 5] [--http] [--no-postgres]
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

FAMILY = [
    ("김", "Kim"), ("이", "Lee"), ("박", "Pak"), ("최", "Choe"), ("정", "Jong"), ("강", "Kang"),
    ("조", "Jo"), ("윤", "Yun"), ("장", "Jang"), ("임", "Rim"), ("한", "Han"), ("오", "O"),
    ("서", "So"), ("신", "Sin"), ("권", "Kwon"), ("황", "Hwang"), ("안", "An"), ("송", "Song"),
]  # fmt: skip
GIVEN = [
    ("철수", "Chol-su"), ("영호", "Yong-ho"), ("민준", "Min-jun"), ("성민", "Song-min"),
    ("광혁", "Kwang-hyok"), ("명일", "Myong-il"), ("혁", "Hyok"), ("은철", "Un-chol"),
    ("정남", "Jong-nam"), ("성호", "Song-ho"), ("룡수", "Ryong-su"), ("금성", "Kum-song"),
    ("일남", "Il-nam"), ("창호", "Chang-ho"), ("경수", "Kyong-su"), ("동혁", "Tong-hyok"),
]  # fmt: skip
SURNAMES = [
    ("Иванов", "Ivanov"), ("Петров", "Petrov"), ("Смирнов", "Smirnov"), ("Кузнецов", "Kuznetsov"),
    ("Волков", "Volkov"), ("Соколов", "Sokolov"), ("Попов", "Popov"), ("Лебедев", "Lebedev"),
    ("Козлов", "Kozlov"), ("Новиков", "Novikov"), ("Морозов", "Morozov"), ("Фёдоров", "Fyodorov"),
    ("Доржиев", "Dorzhiev"), ("Цыренов", "Tsyrenov"), ("Очиров", "Ochirov"), ("Будаев", "Budaev"),
]  # fmt: skip
FIRST = [
    ("Сергей", "Sergei"), ("Алексей", "Aleksei"), ("Дмитрий", "Dmitrii"), ("Андрей", "Andrei"),
    ("Николай", "Nikolai"), ("Иван", "Ivan"), ("Михаил", "Mikhail"), ("Юрий", "Yurii"),
    ("Бато", "Bato"), ("Баир", "Bair"), ("Алдар", "Aldar"), ("Чингис", "Chingis"),
]  # fmt: skip


def _person(i: int, rng: random.Random) -> tuple[dict[str, Any], list[tuple], list[tuple]]:
    """(person row, names [(name, kind, script, translit)], documents [(type, number, on_doc)])."""
    ref = f"P-{i:06d}"
    sur, sur_l = rng.choice(SURNAMES)
    first, first_l = rng.choice(FIRST)
    if i % 3:  # a Korean soldier under a false Russian name and military ID
        fam, fam_l = rng.choice(FAMILY)
        given, given_l = rng.choice(GIVEN)
        names = [
            (f"{fam}{given}", "official", "Hang", f"{fam_l} {given_l}"),
            (f"{sur} {first}", "false", "Cyrl", f"{sur_l} {first_l}"),
        ]
        docs = [("military id", f"RF-{4000000 + i:07d}", f"{sur} {first}")]
        number = f"SN-{200000 + i}"
    else:
        names = [
            (f"{sur} {first}", "official", "Cyrl", f"{sur_l} {first_l}"),
            (f"{first_l} {sur_l}", "alias", "Latn", None),
        ]
        docs = [("passport", f"{rng.randint(10, 99)} {rng.randint(10, 99)} {i:06d}", None)]
        number = f"RA-{i:06d}"
    return {"ref": ref, "sex": "male", "status": "missing", "service_number": number}, names, docs


def build(db: str, n: int) -> None:
    """``n`` persons with names, papers and search keys, in bulk (Core inserts)."""
    from sqlalchemy import insert

    import repatria.registry.search_index as index
    from repatria.registry.db import get_engine
    from repatria.registry.models import Person, PersonDocument, PersonName, PersonSearchKey
    from repatria.registry.search_index import person_key_rows

    # The names repeat (a few hundred spellings): key each once. The rule is unchanged.
    index.name_keys = functools.lru_cache(maxsize=None)(index.name_keys)  # type: ignore[assignment]
    rng = random.Random(15)
    engine = get_engine(db)
    t0 = time.perf_counter()
    nid = did = 0
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            persons, names, docs, keys = [], [], [], []
            for i in range(start + 1, min(n, start + 5000) + 1):
                p, pn, pd = _person(i, rng)
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
                         "name_on_document": on_doc,
                         "authenticity": "false" if on_doc else "genuine"}
                    )  # fmt: skip
                    drows.append((did, number, on_doc))
                keys += person_key_rows(i, p["ref"], p["service_number"], nrows, drows)
            conn.execute(insert(Person), persons)
            conn.execute(insert(PersonName), names)
            conn.execute(insert(PersonDocument), docs)
            conn.execute(insert(PersonSearchKey), keys)
    if engine.dialect.name == "postgresql":
        # What autovacuum does to a registry in service: statistics, and the visibility map
        # that lets the key lookups be answered from the index alone (freshly bulk-loaded,
        # every index-only scan went back to the table).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
            # And the checkpoint the load and the vacuum call for, now rather than in the
            # middle of the timed searches.
            conn.exec_driver_sql("CHECKPOINT")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    print(f"  built {n} persons ({nid} names, {did} papers) in {time.perf_counter() - t0:.1f} s")


def queries(n: int, seed: int = 16) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        kind = rng.randrange(6)
        fam, fam_l = rng.choice(FAMILY)
        given, given_l = rng.choice(GIVEN)
        sur, sur_l = rng.choice(SURNAMES)
        first, first_l = rng.choice(FIRST)
        i = rng.randrange(1, 100_000)
        out.append(
            [
                f"{fam_l} {given_l.replace('-', ' ')}",  # Kim Chol Su
                f"{fam} {given}",  # 김 철수
                f"{sur_l} {first_l}",  # Ivanov Sergei
                f"{first} {sur}",  # Сергей Иванов
                f"РФ-{4000000 + i:07d}",  # a false paper, in Cyrillic
                f"P-{i:06d}",  # a ref
            ][kind]
        )
    return out


def _fold(text: str | None) -> str:
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def old_python_scan(db: str, q: str) -> list[str]:
    """The search this replaced (main before issue 15): every person and name, folded in Python."""
    from sqlalchemy import select

    from repatria.registry.db import session_scope
    from repatria.registry.models import Person, PersonName

    needle = _fold(q.strip())
    with session_scope(db, read=True) as session:
        persons = session.execute(select(Person).order_by(Person.ref)).scalars().all()
        names: dict[int, list[PersonName]] = {}
        for n in session.execute(select(PersonName).order_by(PersonName.id)).scalars():
            names.setdefault(n.person_id, []).append(n)
        out = []
        for p in persons:
            hay = [n.name for n in names.get(p.id, [])] + [p.ref, p.service_number or ""]
            if any(needle in _fold(t) for t in hay if t):
                out.append(p.ref)
                if len(out) >= 50:
                    break
        return out


def like_scan(db: str, q: str) -> list[str]:
    """A SQL ``LIKE '%q%'`` over names, transliterations and numbers (no index can serve it)."""
    from sqlalchemy import or_, select

    from repatria.registry.db import session_scope
    from repatria.registry.models import Person, PersonDocument, PersonName

    pat = f"%{q.strip()}%"
    with session_scope(db, read=True) as session:
        hit = or_(
            Person.id.in_(
                select(PersonName.person_id).where(
                    or_(PersonName.name.ilike(pat), PersonName.transliteration.ilike(pat))
                )
            ),
            Person.id.in_(select(PersonDocument.person_id).where(PersonDocument.number.ilike(pat))),
            Person.ref.ilike(pat),
        )
        return list(
            session.execute(select(Person.ref).where(hit).order_by(Person.ref).limit(50)).scalars()
        )


def timed(fn: Callable[[str], Any], qs: list[str], threads: int) -> list[float]:
    """Latencies of ``fn`` over ``qs``, split among ``threads`` threads started together."""
    lat: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def work(part: list[str]) -> None:
        barrier.wait()
        for q in part:
            t0 = time.perf_counter()
            fn(q)
            dt = time.perf_counter() - t0
            with lock:
                lat.append(dt)

    ts = [threading.Thread(target=work, args=(qs[k::threads],)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sorted(lat)


def report(label: str, lat: list[float], wall: float | None = None) -> None:
    p95 = lat[int(0.95 * (len(lat) - 1))]
    extra = f"  ({len(lat) / wall:.0f} searches/s)" if wall else ""
    print(
        f"  {label:44s} n={len(lat):4d}  p50={1000 * statistics.median(lat):8.1f} ms  "
        f"p95={1000 * p95:8.1f} ms  max={1000 * lat[-1]:8.1f} ms{extra}"
    )


def run(db: str, label: str, args: argparse.Namespace) -> None:
    from repatria.services import views
    from repatria.services.access.users import add_user
    from repatria.services.workflows.setup import init_database

    print(f"{label}:")
    init_database(db)
    add_user(db, "ana", "analyst")
    build(db, args.persons)
    qs = queries(args.threads * args.searches)
    found = sum(1 for q in qs[:50] if views.search_persons(db, actor="ana", q=q).total)
    print(f"  {found} of the first 50 queries find someone")

    def service(q: str) -> None:
        views.search_persons(db, actor="ana", q=q)

    from repatria.api.app import settle_heap

    settle_heap()  # as `repatria serve` does when it starts
    if args.warm:
        # A server that has been answering searches: its pool holds a connection per worker
        # (on PostgreSQL a server process each, started once), each with its statements
        # prepared. Other queries than the timed ones (another seed), so that the timed
        # searches find no answer of their own in any cache.
        warm = queries(args.threads * args.warm, seed=17)
        t0 = time.perf_counter()
        report(f"warm-up (other queries), {args.threads} threads", timed(
            service, warm, args.threads
        ), time.perf_counter() - t0)  # fmt: skip

    t0, c0 = time.perf_counter(), time.process_time()
    lat = timed(service, qs, args.threads)
    report(f"search_persons, {args.threads} threads", lat, time.perf_counter() - t0)
    print(f"  CPU per search: {1000 * (time.process_time() - c0) / len(qs):.1f} ms (this process)")
    lat = timed(service, qs[: args.searches], 1)
    report("search_persons, alone", lat)
    if args.http:
        http(db, qs, args)
    few = qs[: args.baseline]
    report(f"baseline: old Python scan, {args.threads} threads", timed(
        lambda q: old_python_scan(db, q), few, min(args.threads, len(few))
    ))  # fmt: skip
    report(f"baseline: LIKE '%q%' scan, {args.threads} threads", timed(
        lambda q: like_scan(db, q), few, min(args.threads, len(few))
    ))  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(db: str, qs: list[str], args: argparse.Namespace) -> None:
    import httpx

    from repatria.services.access.auth import set_password

    set_password(db, "ana", "ana-bench-password")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "repatria.cli.main", "serve", "--db", db, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        token = httpx.post(
            f"{base}/api/v1/auth/token", json={"name": "ana", "password": "ana-bench-password"}
        ).json()["token"]
        local = threading.local()
        bad: list[int] = []

        def get(q: str) -> None:
            if not hasattr(local, "c"):
                local.c = httpx.Client(
                    base_url=base, timeout=30, headers={"authorization": f"Bearer {token}"}
                )
            r = local.c.get("/api/v1/persons", params={"q": q})
            if r.status_code != 200:
                bad.append(r.status_code)

        get(qs[0])
        t0 = time.perf_counter()
        lat = timed(get, qs, args.threads)
        report(f"GET /api/v1/persons?q=, {args.threads} clients", lat, time.perf_counter() - t0)
        if bad:
            print(f"  non-200 answers: {len(bad)} ({sorted(set(bad))})")
    finally:
        server.terminate()
        server.wait(timeout=10)


def postgres() -> tuple[str, Callable[[], None]] | None:
    """A throwaway PostgreSQL server, as tests/registry_db_fixtures.py starts one."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import registry_db_fixtures as fx

    bindir = fx._pg_bindir()
    if bindir is None:
        print("PostgreSQL: skipped (no initdb found; apt-get install postgresql)")
        return None
    user = fx._server_user()
    root = Path(tempfile.mkdtemp(prefix="repatria-search-pg-"))
    data, log = root / "pg", root / "pg.log"
    if user is not None:
        import shutil

        shutil.chown(root, user)
    port = fx._free_port()
    run = lambda argv: subprocess.run(fx._as_user(user, argv), capture_output=True, text=True)  # noqa: E731
    run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c max_connections=60"
    r = run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts, "-w", "start"])
    if r.returncode != 0:
        print(f"PostgreSQL: skipped (the server did not start: {r.stderr.strip()[-200:]})")
        return None
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as c:
        c.execute("CREATE DATABASE bench")

    def stop() -> None:
        from repatria.registry.db import dispose_engines

        dispose_engines()
        run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])

    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/bench", stop


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--threads", type=int, default=20)
    ap.add_argument("--searches", type=int, default=25, help="per thread")
    ap.add_argument("--baseline", type=int, default=20, help="searches for each baseline")
    ap.add_argument("--http", action="store_true", help="also through a running server's API")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument(
        "--warm",
        type=int,
        default=5,
        help="searches per thread, of other queries, before the timed ones (0: time a cold pool)",
    )
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="repatria-search-"))
    os.environ["REPATRIA_CHAIN_KEY_FILE"] = str(root / "chain.key")
    print(
        f"{args.persons} persons, {args.threads} threads x {args.searches} searches "
        f"(target p95 < 50 ms); {os.cpu_count()} CPUs"
    )
    run(str(root / "search.sqlite"), "SQLite", args)
    if not args.no_postgres:
        pg = postgres()
        if pg is not None:
            url, stop = pg
            try:
                run(url, "PostgreSQL", args)
            finally:
                stop()


if __name__ == "__main__":
    main()
