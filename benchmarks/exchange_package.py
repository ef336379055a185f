"""Exchange packages: build and verify speed of the format, and the demo exported and imported.

Prints, for packages of n synthetic records (about the size of a custody event each), the
seconds to build and sign, and to verify (signature and chain), and the file size; then the
demo scenario exported from one SQLite registry and imported into a fresh one. Never a test:
numbers depend on the machine. Baseline: the SHA-256 of the same bytes alone, the floor any
verification pays.

    .venv/bin/python benchmarks/exchange_package.py [--sizes 1000 10000 100000]
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    args = ap.parse_args()

    from repatria.formats import exchange_package as fmt

    key = fmt.generate_key("Agency A")
    trusted = {key.party: fmt.public_key_hex(key.public)}
    print("records  build_s  verify_s  sha256_only_s  MB")
    for n in args.sizes:
        records = [
            (
                "custody",
                {
                    "ref": f"custody-{i}",
                    "event": "received",
                    "remains": f"R-{i:06d}",
                    "from_party": "the other party",
                    "location": "border crossing point",
                    "notes": "sealed body bag, seal intact",
                    "seq": i,
                },
            )
            for i in range(n)
        ]
        t = time.perf_counter()
        data = fmt.build_package(records, key=key, recipient="ICRC", software={"name": "bench"})
        built = time.perf_counter() - t
        t = time.perf_counter()
        fmt.parse_package(data, trusted)
        verified = time.perf_counter() - t
        t = time.perf_counter()
        hashlib.sha256(data).hexdigest()
        floor = time.perf_counter() - t
        print(f"{n:7d}  {built:7.3f}  {verified:8.3f}  {floor:13.4f}  {len(data) / 1e6:5.1f}")

    from repatria.services.access.users import add_user
    from repatria.services.workflows import exchange, exchange_import
    from repatria.services.workflows.demo_scenario import load_demo
    from repatria.services.workflows.setup import init_database

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sender, receiver = str(root / "a.sqlite"), str(root / "b.sqlite")
        load_demo(sender)
        pair = exchange.keygen("Agency A", root / "keys")
        init_database(receiver)
        add_user(receiver, "ada", "admin")
        add_user(receiver, "cas", "case_manager", actor="ada")
        exchange.trust_party(receiver, "Agency A", pair.public_key, actor="ada")
        t = time.perf_counter()
        sent = exchange.export_package(
            sender, root / "p.jsonl", actor="cas", recipient="ICRC", key_file=pair.private_key
        )
        exported = time.perf_counter() - t
        t = time.perf_counter()
        exchange_import.import_package(receiver, root / "p.jsonl", actor="cas")
        imported = time.perf_counter() - t
        print(f"demo: {sent.records} records, export {exported:.3f} s, import {imported:.3f} s")


if __name__ == "__main__":
    main()
