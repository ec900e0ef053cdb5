"""Which rotated files a run reads, in which order, and how a file is recognised."""

from __future__ import annotations

import gzip
from pathlib import Path

from analyzer.db.discover import candidates, content_size, fingerprint, rotated_files
from analyzer.settings import LogSource

LINE = b'10.0.0.1 - - [26/Nov/2026:10:00:00 +0100] "GET /geoserver/wms HTTP/1.1" 200 12 "-" "-"\n'


def _write(path: Path, data: bytes, *, gzipped: bool = False) -> Path:
    path.write_bytes(gzip.compress(data) if gzipped else data)
    return path


def test_rotated_files_come_oldest_first_without_the_live_file(tmp_path: Path) -> None:
    live = _write(tmp_path / "access.log", LINE)
    one = _write(tmp_path / "access.log.1", LINE * 2)
    two = _write(tmp_path / "access.log.2.gz", LINE * 3, gzipped=True)
    ten = _write(tmp_path / "access.log.10.gz", LINE * 4, gzipped=True)
    _write(tmp_path / "access.log.1.bak", LINE)  # not a logrotate name
    _write(tmp_path / "error.log.1", LINE)

    assert rotated_files(LogSource(live)) == [ten, two, one]
    assert rotated_files(LogSource(live, include_live=True)) == [ten, two, one, live]


def test_dateext_names_come_oldest_first_too(tmp_path: Path) -> None:
    live = _write(tmp_path / "access.log", LINE)
    later = _write(tmp_path / "access.log-20261126", LINE * 2)
    earlier = _write(tmp_path / "access.log-20261125.gz", LINE * 3, gzipped=True)
    _write(tmp_path / "access.log-2026112.gz", LINE)  # not a date

    assert rotated_files(LogSource(live)) == [earlier, later]


def test_a_file_keeps_its_fingerprint_once_gzipped_under_the_next_name(tmp_path: Path) -> None:
    content = b"".join(
        LINE.replace(b"10:00:00", f"10:{i // 60:02}:{i % 60:02}".encode()) for i in range(3000)
    )  # more than the 64 KiB hashed
    plain = _write(tmp_path / "access.log.1", content)
    zipped = _write(tmp_path / "access.log.2.gz", content, gzipped=True)

    assert fingerprint(plain) == fingerprint(zipped)
    assert fingerprint(plain) != fingerprint(_write(tmp_path / "other", content[1:]))


def test_a_copytruncate_hole_of_nul_bytes_does_not_make_files_look_alike(tmp_path: Path) -> None:
    hole = b"\0" * 200_000  # a writer without O_APPEND kept its offset after the truncate
    monday = _write(tmp_path / "monday", hole + LINE)
    tuesday = _write(tmp_path / "tuesday", hole + LINE.replace(b"26/Nov", b"27/Nov"))

    assert fingerprint(monday) != fingerprint(tuesday)
    assert fingerprint(monday) == fingerprint(_write(tmp_path / "no-hole", LINE))


def test_empty_files_are_not_candidates(tmp_path: Path) -> None:
    live = tmp_path / "access.log"
    _write(tmp_path / "access.log.1", b"")
    kept = _write(tmp_path / "access.log.2.gz", LINE, gzipped=True)

    assert [c.path for c in candidates(LogSource(live))] == [kept]


def test_content_size_reads_the_gzip_trailer(tmp_path: Path) -> None:
    assert content_size(_write(tmp_path / "a.gz", LINE * 100, gzipped=True)) == len(LINE) * 100
    assert content_size(_write(tmp_path / "a", LINE * 100)) == len(LINE) * 100
