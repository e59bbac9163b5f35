"""``hsnb listen``'s relay and scripted answers: the options, one output line per delivery, and
rules read from standard input while it runs.

The options (see :mod:`hsnb.relay` and :mod:`hsnb.answers` for what they do)::

    --forward-to URL           relay every stored delivery to your handler at URL
    --forward-timeout SECONDS  how long to wait for the handler (default 60; Dropbox Sign: 30)
    --answer RULE              answer in the listener's place, e.g. 'next=3 status=500'
                               (repeatable; the first rule that matches answers)
    --answer-stdin             read more rules from standard input while running, one a line
                               ('clear' removes them all, 'rules' lists those left)

Like the rest of a delivery's line, what a sender or a handler put in it is escaped by the
terminal pump (:func:`hsnb.terminal.printable`) before it is printed.
"""

from __future__ import annotations

import argparse
import queue
import threading
from typing import TYPE_CHECKING, Any, TextIO

from hsnb.answers import parse_rule
from hsnb.errors import AnswerRuleError

if TYPE_CHECKING:
    from hsnb.listener import Listener
    from hsnb.receiver import Answer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the relay and scripted-answer options to ``parser``."""
    parser.add_argument(
        "--forward-to",
        metavar="URL",
        help="relay each stored callback, unchanged, to your handler at URL; the sender gets "
        "the handler's answer, and each line says whether Dropbox Sign would count it",
    )
    parser.add_argument(
        "--forward-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for the handler (default 60, so a late answer is still "
        "measured; Dropbox Sign gives up after 30)",
    )
    parser.add_argument(
        "--answer",
        dest="answers",
        action="append",
        default=[],
        metavar="RULE",
        help="answer matching callbacks yourself, after storing them: words next=N, "
        "type=T[,T2], status=CODE, body=TEXT, delay=SECONDS, drop, store=no; e.g. "
        "'next=3 status=500', 'type=signature_request_sent body=OK', 'next=1 delay=35' "
        "(repeatable, first match answers)",
    )
    parser.add_argument(
        "--answer-stdin",
        action="store_true",
        help="while running, read more --answer rules from standard input, one a line "
        "('clear' removes them all, 'rules' lists those left)",
    )


def listener_options(args: argparse.Namespace) -> dict[str, Any]:
    """The :class:`~hsnb.listener.Listener` keywords the options ask for."""
    return {
        "forward_to": args.forward_to,
        "forward_timeout": args.forward_timeout,
        "answers": args.answers,
    }


def announce(listener: Listener) -> list[str]:
    """The lines that say what answers in the listener's place (printed after its URL)."""
    lines = []
    if listener.forward_to is not None:
        lines.append(f"forwarding to {listener.forward_to}")
    lines.extend(f"answering: {rule.text}" for rule in listener.script())
    return lines


def describe_answer(answer: Answer) -> str:
    """One output line for a delivery: verdict, status sent, event type and request id or
    reason; then the rule that answered or the handler's answer, when not the listener.

    The line holds what the sender (and the handler) sent; the terminal pump escapes it.
    """
    record = answer.record
    stored = record is not None and record.delivery_id is not None
    verdict = str(record.verdict) if stored else "unrecorded"
    status = "-" if answer.dropped else str(answer.status)
    if answer.event is None:
        return f"{verdict} {status} {answer.text}"
    event = answer.event
    subject = event.subject_id or "-"
    line = f"{verdict} {status} {event.event_type} {subject} at {event.event_time}"
    if answer.scripted is not None:
        counted = "" if answer.acknowledged else f", {answer.outcome}"
        line += f"; scripted: {answer.scripted}{counted}"
    if answer.forwarded is not None:
        line += f"; {answer.forwarded.explain()}"
    return line


def read_rules(stream: TextIO, listener: Listener, lines: queue.Queue[str]) -> threading.Thread:
    """Read rules from ``stream`` on a daemon thread until its end; say what each line did on
    ``lines`` (``clear`` removes every rule, ``rules`` lists those left)."""

    def run() -> None:
        for raw in stream:
            text = raw.strip()
            if not text:
                continue
            if text == "clear":
                listener.clear_script()
                lines.put("answer rules cleared: the listener answers by itself")
            elif text == "rules":
                rules = listener.script()
                lines.put("answer rules: " + ("; ".join(r.text for r in rules) or "none"))
            else:
                try:
                    rule = parse_rule(text)
                except AnswerRuleError as error:
                    lines.put(f"not added: {error}")
                else:
                    listener.script(rule)
                    lines.put(f"answering: {rule.text}")

    reader = threading.Thread(target=run, name="hsnb-answer-stdin", daemon=True)
    reader.start()
    return reader
