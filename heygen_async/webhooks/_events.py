"""A receiver's memory of events: ids seen (to drop duplicates), the last event per entity id,
and the watches waiting on entity ids. In memory, bounded, one event loop; no I/O."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
from collections import OrderedDict, deque
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from ._verify import WebhookEvent


def event_key(event: WebhookEvent) -> str:
    """What duplicates share: the event id, or (without one) a digest of type and data."""
    if event.event_id:
        return event.event_id
    canonical = json.dumps(
        [str(event.event_type), event.data], sort_keys=True, separators=(",", ":"), default=str
    )
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def entity_ids(event: WebhookEvent) -> tuple[str, ...]:
    """Every id an event carries: `id` and each `*_id` string of `event_data` (session_id,
    video_id, callback_id, ...), in the payload's order."""
    found = [
        value
        for key, value in event.data.items()
        if isinstance(key, str) and (key == "id" or key.endswith("_id"))
        if isinstance(value, str) and value
    ]
    found += [i for i in (event.session_id, event.video_id, event.callback_id) if i]
    return tuple(dict.fromkeys(found))


class _Mailbox:
    """One watch's undelivered events, and the flag its reader waits on."""

    __slots__ = ("entity_ids", "events", "ready")

    def __init__(self, entity_ids: tuple[str, ...], maxlen: int) -> None:
        self.entity_ids = entity_ids
        self.events: deque[WebhookEvent] = deque(maxlen=maxlen)
        self.ready = asyncio.Event()

    def put(self, event: WebhookEvent) -> None:
        self.events.append(event)
        self.ready.set()


class EventLog:
    """Event ids seen and the last event per entity id (each the latest `max_events`), and the
    open watches."""

    def __init__(self, max_events: int) -> None:
        self.max_events = max_events
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._latest: OrderedDict[str, tuple[int, WebhookEvent]] = OrderedDict()
        self._mailboxes: dict[str, set[_Mailbox]] = {}
        self._arrivals = itertools.count()

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, event: WebhookEvent) -> bool:
        """Record `event` and hand it to the watches of its ids; False (and nothing else) for a
        duplicate."""
        key = event_key(event)
        if key in self._seen:
            # A retry: remember its id a while longer, since HeyGen retries for up to 24 h.
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        _trim(self._seen, self.max_events)
        ids = entity_ids(event)
        arrival = next(self._arrivals)
        for entity_id in ids:
            self._latest[entity_id] = (arrival, event)
            self._latest.move_to_end(entity_id)
        _trim(self._latest, self.max_events)
        reached = {id(m): m for i in ids for m in self._mailboxes.get(i, ())}
        for mailbox in reached.values():
            mailbox.put(event)
        return True

    def open(self, entity_ids: tuple[str, ...]) -> _Mailbox:
        """A mailbox for those ids, holding already the last event retained for any of them."""
        mailbox = _Mailbox(entity_ids, self.max_events)
        retained = {self._latest[i][0]: self._latest[i][1] for i in entity_ids if i in self._latest}
        for _, event in sorted(retained.items()):
            mailbox.events.append(event)
        for entity_id in entity_ids:
            self._mailboxes.setdefault(entity_id, set()).add(mailbox)
        return mailbox

    def close(self, mailbox: _Mailbox) -> None:
        for entity_id in mailbox.entity_ids:
            watching = self._mailboxes.get(entity_id)
            if watching is not None:
                watching.discard(mailbox)
                if not watching:
                    del self._mailboxes[entity_id]

    def watching(self) -> int:
        return len({id(m) for ms in self._mailboxes.values() for m in ms})


def _trim(entries: OrderedDict[str, Any], limit: int) -> None:
    while len(entries) > limit:
        entries.popitem(last=False)


class EventWatch:
    """Events for one or more entity ids, from `WebhookReceiver.watch`; use it as
    `async with receiver.watch(video_id) as watch: event = await watch.next(timeout=60)`.

    It starts with the last event the receiver kept for those ids (so an event that arrived
    just before the watch began is not missed), then sees every new one, in arrival order.
    Any number of watches may watch the same id: each sees every event.
    """

    def __init__(self, log: EventLog, entity_ids: Iterable[str]) -> None:
        ids = tuple(dict.fromkeys(entity_ids))
        if not ids or not all(isinstance(i, str) and i for i in ids):
            raise ValueError("watch() needs one or more non-empty entity ids")
        self._log = log
        self._ids = ids
        self._mailbox: _Mailbox | None = None

    @property
    def entity_ids(self) -> tuple[str, ...]:
        return self._ids

    def __repr__(self) -> str:
        state = "open" if self._mailbox is not None else "closed"
        return f"<EventWatch {', '.join(self._ids)} ({state})>"

    async def __aenter__(self) -> EventWatch:
        if self._mailbox is not None:
            raise RuntimeError("this watch is already open")
        self._mailbox = self._log.open(self._ids)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._mailbox is not None:
            self._log.close(self._mailbox)
            self._mailbox = None

    async def next(self, timeout: float | None = None) -> WebhookEvent | None:
        """The next event for the watched ids, or None if none came within `timeout` seconds
        (None: wait as long as it takes)."""
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0
        ):
            raise ValueError(f"timeout must be a number >= 0 or None, not {timeout!r}")
        mailbox = self._mailbox
        if mailbox is None:
            raise RuntimeError("use next() inside `async with receiver.watch(...) as watch`")
        if not mailbox.events:
            try:
                async with asyncio.timeout(timeout):
                    while not mailbox.events:
                        mailbox.ready.clear()
                        await mailbox.ready.wait()
            except TimeoutError:
                if not mailbox.events:
                    return None
        return mailbox.events.popleft()
