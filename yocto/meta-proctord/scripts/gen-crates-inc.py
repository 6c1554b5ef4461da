#!/usr/bin/env python3
"""Writes recipes-proctord/proctord/proctord-crates.inc from the workspace Cargo.lock.

Every crates.io package in Cargo.lock becomes a `crate://crates.io/NAME/VERSION` entry in
SRC_URI with its sha256 (Cargo.lock's `checksum`), in the format of poky's
cargo-update-recipe-crates class, so bitbake fetches each crate once, checks it, and
cargo builds offline (--frozen) from the vendored copies.

    yocto/meta-proctord/scripts/gen-crates-inc.py            rewrite the .inc
    yocto/meta-proctord/scripts/gen-crates-inc.py --check    exit 1 if it is stale

Run it after every Cargo.lock change (the test daemon/tests/systemd_yocto_layer.rs checks
that the committed .inc matches). Git or path dependencies are refused: the recipe would
need extra SRC_URI entries for them.
"""

import argparse
import pathlib
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

LAYER = pathlib.Path(__file__).resolve().parent.parent
REPO = LAYER.parent.parent
DEFAULT_LOCK = REPO / "Cargo.lock"
DEFAULT_OUT = LAYER / "recipes-proctord" / "proctord" / "proctord-crates.inc"
CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"


def render(lock_path: pathlib.Path) -> str:
    lock = tomllib.loads(lock_path.read_text())
    crates = []
    for pkg in lock.get("package", []):
        source = pkg.get("source")
        if source is None:
            continue  # a workspace member (proctord itself)
        if source != CRATES_IO:
            sys.exit(f"gen-crates-inc: {pkg['name']} {pkg['version']} comes from {source}; only crates.io is supported")
        if "checksum" not in pkg:
            sys.exit(f"gen-crates-inc: {pkg['name']} {pkg['version']} has no checksum in {lock_path}")
        crates.append((pkg["name"], pkg["version"], pkg["checksum"]))
    crates.sort()
    lines = [
        "# Generated from Cargo.lock by yocto/meta-proctord/scripts/gen-crates-inc.py; do not edit.",
        f"# {len(crates)} crates from crates.io.",
        "",
    ]
    uris = [f"crate://crates.io/{n}/{v};name={n}-{v}" for n, v, _ in crates]
    # First entry on the assignment line, the rest aligned under it (oelint-adv style).
    indent = " " * len('SRC_URI += "')
    lines.append(f'SRC_URI += "{uris[0]} \\')
    lines += [f"{indent}{u} \\" for u in uris[1:-1]]
    lines.append(f'{indent}{uris[-1]}"')
    lines.append("")
    lines += [f'SRC_URI[{n}-{v}.sha256sum] = "{c}"' for n, v, c in crates]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lock", type=pathlib.Path, default=DEFAULT_LOCK)
    ap.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="fail if --out differs from what Cargo.lock gives")
    args = ap.parse_args()
    text = render(args.lock)
    if args.check:
        current = args.out.read_text() if args.out.exists() else ""
        if current != text:
            print(f"gen-crates-inc: {args.out} is stale; run {pathlib.Path(__file__).relative_to(REPO)}", file=sys.stderr)
            return 1
        print(f"gen-crates-inc: {args.out.relative_to(REPO)} matches {args.lock.relative_to(REPO)}")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"gen-crates-inc: wrote {args.out.relative_to(REPO)} ({text.count('crate://')} crates)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
