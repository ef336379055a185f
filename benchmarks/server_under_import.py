"""Readers during a long import: do 50 concurrent API readers get answers while one long write
transaction (an import of many persons) runs on SQLite? (issue 16)

Everything runs on loopback (127.0.0.1, a free port) in a temporary directory: a fresh registry,
a server (`repatria serve`, one process), an import of ``--rows`` persons in another process,
and ``--readers`` threads, each sending at most ``--requests`` requests, for at most ``--seconds``
seconds (the run stops by itself). It prints, per endpoint, the count, p50, p95 and max
latency, and the number of 5xx answers and failures (timeouts, refused connections).

    PYTHONPATH=src .venv/bin/python benchmarks/server_under_import.py \
        [--rows 100000] [--readers 50] [--requests 200] [--seconds 120]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

PERSON_HEADER = "person_ref\tname\tsex\tunit\tstatus\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _repatria(*args: str, env: dict[str, str], **kw: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "repatria.cli.main", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        **kw,  # type: ignore[arg-type]
    )


def _setup(root: Path, env: dict[str, str], n_seed: int) -> None:
    from repatria.services.access.auth import set_password
    from repatria.services.access.users import add_user
    from repatria.services.workflows.imports import import_persons
    from repatria.services.workflows.setup import init_database

    db = str(root / "bench.sqlite")
    init_database(db)
    add_user(db, "cas", "case_manager")
    add_user(db, "reader", "analyst")
    set_password(db, "reader", "reader-password")
    seed = root / "seed.tsv"
    seed.write_text(
        PERSON_HEADER
        + "".join(f"S-{i}\tSeed Person {i}\tmale\t1st\tmissing\n" for i in range(n_seed))
    )
    import_persons(db, seed, actor="cas")


def _reader(
    base: str,
    token: str,
    paths: list[str],
    deadline: float,
    budget: int,
    out: dict[str, list[float]],
    errors: dict[str, int],
    lock: threading.Lock,
) -> None:
    headers = {"authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=30.0, headers=headers) as client:
        for k in range(budget):
            if time.monotonic() > deadline:
                return
            path = paths[k % len(paths)]
            name = path.split("?")[0]
            t0 = time.monotonic()
            try:
                r = client.get(path)
                dt = time.monotonic() - t0
                with lock:
                    out[name].append(dt)
                    if r.status_code >= 500:
                        errors[f"{name} {r.status_code}"] += 1
            except httpx.HTTPError as e:
                with lock:
                    errors[f"{name} {type(e).__name__}"] += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000, help="persons in the long import")
    ap.add_argument("--readers", type=int, default=50)
    ap.add_argument("--requests", type=int, default=200, help="at most this many per reader")
    ap.add_argument("--seconds", type=float, default=120.0, help="stop after this long")
    ap.add_argument("--workers", type=int, default=1, help="server processes")
    ap.add_argument(
        "--import-timeout", type=float, default=600.0, help="then wait this long for the import"
    )
    args = ap.parse_args()

    root = Path(tempfile.mkdtemp(prefix="repatria-load-"))
    env = dict(os.environ, REPATRIA_CHAIN_KEY_FILE=str(root / "chain.key"))
    os.environ["REPATRIA_CHAIN_KEY_FILE"] = env["REPATRIA_CHAIN_KEY_FILE"]
    db = str(root / "bench.sqlite")
    _setup(root, env, 2000)
    big = root / "big.tsv"
    with big.open("w") as fh:
        fh.write(PERSON_HEADER)
        for i in range(args.rows):
            fh.write(f"B-{i}\tBulk Person {i}\tmale\t2nd\tmissing\n")

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _repatria(
        "serve", "--db", db, "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(args.workers), env=env,
    )  # fmt: skip
    importer: subprocess.Popen[bytes] | None = None
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        token = httpx.post(
            f"{base}/api/v1/auth/token", json={"name": "reader", "password": "reader-password"}
        ).json()["token"]
        paths = [
            "/healthz",
            "/api/v1/persons?q=Seed%20Person%2017&limit=20",
            "/api/v1/dashboard",
            "/api/v1/persons/S-5",
            "/api/v1/me",
        ]
        t_import = time.monotonic()
        importer = _repatria("import", "persons", str(big), "--as", "cas", "--db", db, env=env)
        time.sleep(1.0)  # the import is parsing, then holds the write lock
        out: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds
        threads = [
            threading.Thread(
                target=_reader,
                args=(base, token, paths, deadline, args.requests, out, errors, lock),
            )
            for _ in range(args.readers)
        ]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        still_importing = importer.poll() is None
        print(
            f"{args.readers} readers, {sum(len(v) for v in out.values())} answers in {wall:.1f} s; "
            f"the import of {args.rows} persons was "
            f"{'still running when the readers stopped' if still_importing else 'finished'}"
        )
        every = sorted(x for v in out.values() for x in v)
        for name, lat in sorted(out.items()) + [("ALL", every)]:
            lat = sorted(lat)
            p95 = lat[int(0.95 * (len(lat) - 1))] if lat else float("nan")
            print(
                f"  {name:32s} n={len(lat):5d}  p50={statistics.median(lat):.3f}s  "
                f"p95={p95:.3f}s  max={lat[-1]:.3f}s"
            )
        print(f"  5xx / failures: {dict(errors) or 'none'}", flush=True)
        # The figures are printed first: a slow import must not lose them.
        try:
            importer.wait(timeout=args.import_timeout)
            print(f"  import took {time.monotonic() - t_import:.1f} s (exit {importer.returncode})")
        except subprocess.TimeoutExpired:
            print(f"  import still running after {args.import_timeout:.0f} s more; stopped")
    finally:
        for proc in (importer, server):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()


if __name__ == "__main__":
    main()
