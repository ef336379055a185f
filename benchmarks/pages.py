"""Time every page (and a few API reads) on the demo data; the target is < 200 ms a page.

Loads the demo scenario into a temporary SQLite file, logs in through the login form, and
requests each page ``--repeat`` times in-process (httpx over ASGI: the server's own time,
without a network). Prints the median and the worst time per page. Never a test: numbers
depend on the machine.

    python benchmarks/pages.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()

    from fastapi.testclient import TestClient

    from repatria.api.app import create_app
    from repatria.services.access.auth import set_demo_passwords
    from repatria.services.workflows.demo_scenario import load_demo

    tmp = Path(tempfile.mkdtemp(prefix="repatria-pages-"))
    db = str(tmp / "demo.sqlite")
    summary = load_demo(db)
    set_demo_passwords(db, [n for n, _ in summary.users])
    cand = summary.candidates[0]["id"]
    person = summary.candidates[0]["missing"]
    remains = summary.candidates[0].get("remains") or summary.candidates[0]["pm"]

    client = TestClient(create_app(db))
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"name": "cas", "password": "demo-cas", "csrf_token": token})
    api = {
        "Authorization": "Bearer "
        + client.post("/api/v1/auth/token", json={"name": "cas", "password": "demo-cas"}).json()[
            "token"
        ]
    }

    persons = client.get("/api/v1/persons", headers=api).json()["persons"]
    person_ref = persons[0]["ref"] if persons else person
    rem = client.get("/api/v1/remains", headers=api).json()["remains"]
    remains_ref = rem[0]["ref"] if rem else remains
    alias = next((n["name"] for p in persons for n in p["names"] if n["kind"] != "official"), "a")

    pages = [
        "/",
        "/persons",
        f"/persons?q={alias}",
        f"/persons/{person_ref}",
        "/remains",
        f"/remains/{remains_ref}",
        f"/matches/{cand}",
        "/review",
        "/notifications",
        "/repatriations",
        "/accounting",
        "/accounting/chart.svg",
        "/login",
    ]
    print(
        f"demo data: {len(persons)} persons, {len(rem)} remains, "
        f"{len(summary.candidates)} candidates; {args.repeat} requests per page"
    )
    print(f"{'page':45s} {'median ms':>10s} {'max ms':>8s}  status")
    for path in pages + ["/api/v1/dashboard", f"/api/v1/candidates/{cand}"]:
        headers = api if path.startswith("/api/") else None
        times, status = [], None
        for _ in range(args.repeat):
            t = time.perf_counter()
            r = client.get(path, headers=headers)
            times.append((time.perf_counter() - t) * 1000)
            status = r.status_code
        flag = "" if statistics.median(times) < 200 else "  <- over 200 ms"
        print(f"{path[:45]:45s} {statistics.median(times):10.1f} {max(times):8.1f}  {status}{flag}")
    # the match page as a geneticist sees it: with the genotypes (and their audited read)
    client.cookies.clear()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"name": "ana", "password": "demo-ana", "csrf_token": token})
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        r = client.get(f"/matches/{cand}")
        times.append((time.perf_counter() - t) * 1000)
    label = f"/matches/{cand} (analyst, genotypes)"
    print(f"{label:45s} {statistics.median(times):10.1f} {max(times):8.1f}  {r.status_code}")


if __name__ == "__main__":
    main()
