"""What an :class:`~hsnb.emulator.Emulator` keeps and saves: its request log and its state file.

:class:`RecordsMixin` gives the emulator :meth:`~RecordsMixin.api_log` (every HTTP request it
answered, redacted: :mod:`hsnb.emulator.service.api_log`) and :meth:`~RecordsMixin.save_state` /
:meth:`~RecordsMixin.load_state` (its whole state in one JSON file:
:mod:`hsnb.emulator.service.state_file`). This module runs them on the emulator's loop; the rules
live in the service.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hsnb.emulator.service import state_file
from hsnb.emulator.service.api_log import ApiCall
from hsnb.errors import EmulatorError, StateFileError
from hsnb.runtime import background_loop

if TYPE_CHECKING:
    import pandas as pd

    from hsnb.emulator.http.outbound import HttpFetcher
    from hsnb.emulator.service.backend import Backend
    from hsnb.emulator.service.dispatcher import Dispatcher
    from hsnb.emulator.service.ratelimit import RateLimiter
    from hsnb.emulator.service.virtual_time import VirtualTime
    from hsnb.emulator.service.workers import ThreadWorker


class RecordsMixin:
    """The request log and state files of :class:`~hsnb.emulator.Emulator` (see the module
    docstring)."""

    backend: Backend
    dispatcher: Dispatcher
    limiter: RateLimiter
    fetcher: HttpFetcher
    worker: ThreadWorker
    virtual_time: VirtualTime | None
    running: bool
    _call: Callable[..., Any]

    # -- the request log ---------------------------------------------------------------------

    def api_calls(self, since: int = 0) -> list[ApiCall]:
        """The request log's calls after ``call_id`` ``since``, oldest first (see
        :meth:`api_log`)."""
        return self._call(self.backend.api_log.calls, since)

    def api_log(self, since: int = 0) -> pd.DataFrame:
        """Every HTTP request the emulator answered (the API, the control plane and the pages;
        reading the log is not logged) as a DataFrame with the declared schema
        :data:`hsnb.frames.API_LOG_COLUMNS`: method, path, query, the fields sent, status,
        ``error_name``, the answer, the caller's account and key fingerprint, the emulated time
        it arrived and the real seconds it took.

        Redacted: no API key, ``Authorization`` header, access token, sign-URL or file-link
        token is ever kept (:mod:`hsnb.emulator.service.api_log`); uploads are kept as name,
        size and sha256. At most ``api_log_size`` calls are kept (10,000 by default), the
        oldest dropped first; ``frame.attrs["dropped"]`` says how many were.
        """
        from hsnb.frames import api_log_frame

        log = self.backend.api_log
        calls, dropped = self._call(lambda: (log.calls(since), log.dropped))
        frame = api_log_frame(asdict(call) for call in calls)
        frame.attrs["dropped"] = dropped
        return frame

    @property
    def api_log_dropped(self) -> int:
        """How many calls the request log dropped to stay within ``api_log_size``."""
        return self.backend.api_log.dropped

    def on_api_call(self, hook: Callable[[ApiCall], None]) -> Callable[[], None]:
        """Call ``hook(call)`` on the loop thread as each request is logged (what
        ``hsnb emulator --api-log`` prints); returns a function that removes it."""
        hooks = self.backend.api_log.hooks
        hooks.append(hook)

        def remove() -> None:
            if hook in hooks:
                hooks.remove(hook)

        return remove

    # -- state files ---------------------------------------------------------------------------

    def save_state(self, path: str | os.PathLike[str], timeout: float = 10.0) -> Path:
        """Write the emulator's whole state to ``path`` (one JSON file, written atomically);
        return the path. Load it with :meth:`load_state` or ``Emulator(state=path)``.

        It waits (up to ``timeout`` real seconds) for a quiet moment: no callback queued or on
        the wire, no document being read, no download, no timer due now; then takes everything
        at once: accounts, keys, apps, templates, requests with their signatures and documents,
        pending timers (processing, signing, file preparation, retries...), the attempt and
        request logs, id counters, the random source and the emulated time. What the file
        holds, and what not: :mod:`hsnb.emulator.service.state_file`.

        The file holds the emulator's own made-up secrets (keys drawn from its seed, tokens);
        a key given to the emulator (``api_key=``) is never written, only its fingerprint.
        Raises :class:`~hsnb.errors.StateFileError` when the emulator does not become quiet in
        time or a timer set from outside the service (a simulation's script) is pending, and
        :class:`~hsnb.errors.EmulatorError` when it is not running.
        """
        if not self.running:
            raise EmulatorError("the emulator is not running: start() it first")
        from hsnb import __version__

        text = background_loop().run(self._capture_when_quiet(timeout, __version__), timeout + 10)
        return state_file.write(path, text)

    async def _capture_when_quiet(self, timeout: float, version: str) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            busy = self._busy()
            if not busy:  # checked and captured in one step of the loop: nothing moves between
                return state_file.capture(self.backend, self.dispatcher, version)
            if loop.time() >= deadline:
                raise StateFileError(
                    f"the emulator was not quiet within {timeout} s ({busy}): nothing was saved"
                )
            await asyncio.sleep(0.002)

    def _busy(self) -> str:
        """What keeps the emulator from being quiet, in words ("" when quiet)."""
        found = {
            "callbacks queued or on the wire": self.dispatcher.in_flight,
            "file_urls downloads": self.fetcher.in_flight,
            "documents being read": self.worker.in_flight,
            "timers due now": int(self.backend.clock.is_due()),
            "holds on the virtual clock": (
                self.virtual_time.busy() if self.virtual_time is not None else 0
            ),
        }
        return ", ".join(f"{what}: {count}" for what, count in found.items() if count)

    def load_state(
        self,
        path: str | os.PathLike[str],
        *,
        callback_url: str | None = None,
        app_callback_url: str | None = None,
    ) -> None:
        """Replace the emulator's whole state with the one saved in ``path``
        (:meth:`save_state`): what was pending here is dropped, what was pending there is
        re-armed, and emulated time goes on from the saved moment. With the same settings the
        emulator then raises exactly the events and makes exactly the callback attempts the
        saved one would have.

        The emulator keeps its own settings and, when it was given an ``api_key``, that key
        (a state saved with a given key needs one). ``callback_url`` / ``app_callback_url``
        point the account / the default app elsewhere, with the callbacks pending for the old
        URL. Raises :class:`~hsnb.errors.StateFileError` for a file that is not a state, is
        truncated or changed, or of a newer format version; the emulator is then unchanged.
        """
        document = state_file.read(path)
        state = state_file.decode(
            document,
            self.backend,
            self.dispatcher,
            api_key=self.backend.given_api_key,
            callback_url=callback_url,
            app_callback_url=app_callback_url,
        )
        self._call(self._restore, state)

    def _restore(self, state: state_file.LoadedState) -> None:
        self.limiter.reset()
        state_file.restore(state, self.backend, self.dispatcher)
        # Reading documents ahead needs the serving loop: now, or once it starts.
        self._resume_on_start = not self.running
        if self.running:
            self.backend.resume_processing()

    def _resume_processing_on_start(self) -> None:
        """On the loop thread as serving starts: resume what a state loaded before left."""
        if getattr(self, "_resume_on_start", False):
            self._resume_on_start = False
            self.backend.resume_processing()
