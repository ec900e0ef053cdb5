"""Progress of a load: a bar on a terminal, log lines otherwise."""

from __future__ import annotations

import io
import logging

import pytest

from analyzer.progress import BarProgress, LogProgress, for_stream


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_and_anything_else_log_lines() -> None:
    assert isinstance(for_stream(_Terminal()), BarProgress)
    assert isinstance(for_stream(io.StringIO()), LogProgress)


def test_the_bar_redraws_one_line_with_share_and_lines_then_erases_it() -> None:
    terminal = _Terminal()
    bar = BarProgress(terminal, interval=0.0)

    bar.start("rennes/access.log.1", total_bytes=1000)
    bar.update(500, 12_345)
    bar.finish()

    drawn = terminal.getvalue().split("\r")
    assert "rennes/access.log.1 [" in drawn[-2]
    assert " 50% 12,345 lines " in drawn[-2]
    assert drawn[-1] == "\x1b[K"  # the summary line takes its place
    assert "\n" not in terminal.getvalue()


def test_log_lines_say_the_share_read(caplog: pytest.LogCaptureFixture) -> None:
    progress = LogProgress(interval=0.0)

    with caplog.at_level(logging.INFO, logger="analyzer.progress"):
        progress.start("brest/access.log.2.gz", total_bytes=4000)
        progress.update(1000, 250)

    assert caplog.messages == [
        "brest/access.log.2.gz: loading (4,000 bytes)",
        "brest/access.log.2.gz: 25%, 250 lines",
    ]
