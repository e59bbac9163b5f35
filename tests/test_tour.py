"""The tour (``make demo``): the story it tells is what the emulator and listener really did."""

from __future__ import annotations

import subprocess
import sys

from hsnb.tour import run_tour
from tests.conftest import ROOT


def test_tour_shows_each_lesson_and_collects_every_event_once() -> None:
    lines: list[str] = []
    events = run_tour(lines.append, seed=7)
    text = "\n".join(lines)
    assert "409 conflict: This request cannot be signed yet" in text
    assert "file_error: has_error=True" in text and "status_code=error_text_tag" in text
    assert "audit page says 'Status: awaiting_signature'" in text
    assert "'Status: completed'" in text
    assert "0 duplicates, 0 rejected" in text
    counts = events["event_type"].value_counts()
    assert counts[counts > 0].to_dict() == {
        "signature_request_viewed": 2,
        "signature_request_signed": 2,
        "signature_request_sent": 1,
        "file_error": 1,
        "signature_request_all_signed": 1,
        "signature_request_downloadable": 1,
    }
    assert events["verified"].all()
    life = events.dropna(subset=["signature_request_id"])
    main_request = life[life["title"] == "Mutual NDA"]["event_type"].tolist()
    assert main_request[0] == "signature_request_sent"
    assert main_request[-2:] == ["signature_request_all_signed", "signature_request_downloadable"]


def test_hsnb_tour_command_output_repeats_exactly() -> None:
    runs = [
        subprocess.run(
            [sys.executable, "-m", "hsnb.cli", "tour"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        for _ in range(2)
    ]
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    assert runs[0].stdout.startswith("hsnb tour: a signature request's life")
