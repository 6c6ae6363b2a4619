"""Background tasks of snapshots, run by the worker (``python manage.py db_worker``)."""

from typing import Any

from django.tasks import task


@task
def snapshots_take_requested(requests: list[dict[str, Any]]) -> list[str]:
    """Take the requested snapshots; returns the CIDs of those taken."""
    from items.snapshots import services

    return [snapshot.cid for snapshot in services.snapshots_take_requested(requests=requests)]


@task
def snapshots_take_captured(capture_id: str, created_by: str) -> list[str]:
    """Take the snapshots of the items a capture's events name; returns the CIDs taken."""
    from items.snapshots import services

    return [
        snapshot.cid
        for snapshot in services.snapshots_take_captured(
            capture_id=capture_id, created_by=created_by
        )
    ]
