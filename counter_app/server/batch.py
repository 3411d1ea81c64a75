"""Issue requests that arrive while the signing service is busy as one batch.

The signing service does its CA work on one worker thread. A request that comes in while that
thread is signing waits for it anyway; instead of one ``ca.issue`` each (two commits a
certificate), the requests waiting when the thread comes free go to ``ca.issue_batch`` together
(two commits a batch). A lone request is a batch of one, so nothing waits for company.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from concurrent.futures import Executor

from counter_app.ca import CertificateAuthority, IssuedCertificate, IssueRequest

log = logging.getLogger(__name__)
BATCH_LIMIT = 64  # requests in one batch at most (bench/issuance.py measures this size)

_Waiting = tuple[IssueRequest, "asyncio.Future[IssuedCertificate]", asyncio.AbstractEventLoop]


class IssueBatcher:
    """``await batcher.issue(request)`` from any event loop; the work runs on ``executor``."""

    def __init__(
        self, ca: CertificateAuthority, executor: Executor, limit: int = BATCH_LIMIT
    ) -> None:
        self._ca = ca
        self._executor = executor
        self._limit = limit
        self._lock = threading.Lock()
        self._waiting: list[_Waiting] = []
        self._drain_queued = False
        # How the latest requests were grouped (for the tests); bounded, the service runs for months.
        self.batch_sizes: deque[int] = deque(maxlen=1024)

    async def issue(self, request: IssueRequest) -> IssuedCertificate:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[IssuedCertificate] = loop.create_future()
        with self._lock:
            self._waiting.append((request, future, loop))
            start = not self._drain_queued
            self._drain_queued = True
        if start:
            self._executor.submit(self._drain)
        return await future

    def _drain(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting[: self._limit], self._waiting[self._limit :]
            more = bool(self._waiting)
            self._drain_queued = more
        if more:  # the rest after this batch, on the same thread
            self._executor.submit(self._drain)
        if not batch:
            return
        self.batch_sizes.append(len(batch))
        if len(batch) > 1:
            log.debug("issuing %d requests as one batch", len(batch))
        try:
            results: list[IssuedCertificate | BaseException] = list(
                self._ca.issue_batch([request for request, _, _ in batch])
            )
        except Exception as exc:  # the store failed: every request of the batch hears of it
            results = [exc] * len(batch)
        for (_, future, loop), result in zip(batch, results, strict=True):
            loop.call_soon_threadsafe(_settle, future, result)


def _settle(
    future: asyncio.Future[IssuedCertificate], result: IssuedCertificate | BaseException
) -> None:
    if future.cancelled():  # the client went away meanwhile; its certificate is recorded
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
