"""Reference semantics of ``EventStore.commit_batch``: one item, one transaction."""

from __future__ import annotations

from sifenflow_common.eventstore.ports import (
    CommitResult,
    ConcurrencyError,
    DuplicateMessage,
    EventStore,
    PendingCommit,
)


async def commit_one(store: EventStore, consumer: str, item: PendingCommit) -> CommitResult:
    """Claim, append and enqueue for one incoming message in a transaction of its own."""
    try:
        async with store.transaction() as tx:
            if not await tx.claim(consumer, item.message_id):
                return False
            for append in item.appends:
                await tx.append(append.stream, append.expected_version, append.events)
            await tx.enqueue(item.messages)
    except (ConcurrencyError, DuplicateMessage) as exc:
        return exc
    return True
