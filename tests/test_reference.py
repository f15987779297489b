"""The repository stands alone: vendored upstream data matches its provenance, and nothing reads outside the clone."""

from __future__ import annotations

import hashlib
import re
import subprocess

from tests.conftest import REFERENCE, ROOT

PROVENANCE = REFERENCE / "PROVENANCE.md"
ROW = re.compile(r"^\| (?P<file>[^ |]+) \| (?P<repo>[^ |]+/[^ |]+) \| (?P<tag>[^ |]+) \| (?P<path>[^ |]+) \| "
                 r"(?P<sha>[0-9a-f]{64}) \|", re.MULTILINE)


def test_every_vendored_file_has_a_provenance_row_with_its_sha256() -> None:
    rows = {m["file"]: m for m in ROW.finditer(PROVENANCE.read_text(encoding="utf-8"))}
    files = {p.relative_to(REFERENCE).as_posix() for p in REFERENCE.rglob("*") if p.is_file()} - {"PROVENANCE.md"}
    assert files, "reference/ is empty"
    assert set(rows) == files, f"files without a provenance row: {files - set(rows)}; rows without a file: " \
                               f"{set(rows) - files}"
    for name, row in rows.items():
        assert hashlib.sha256((REFERENCE / name).read_bytes()).hexdigest() == row["sha"], f"{name} changed"


def test_no_tracked_file_reads_outside_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    # The workspace folder beside a developer's clone is not beside a user's: nothing may read it.
    outside = re.compile(r"\.\./shared|[\"']shared[\"']\s*/|parent\s*/\s*[\"']shared|\.parents\[[2-9]\]")
    offenders = []
    for name in tracked.splitlines():
        path = ROOT / name
        if not path.is_file() or path.suffix not in {".py", ".md", ".yml", ".yaml", ".toml", ".txt", ""}:
            continue
        if path == ROOT / "tests" / "test_reference.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if outside.search(line):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == []
