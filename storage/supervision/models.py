"""What the supervision feature adds to the foundation's `supervision_records` table.

One record per co-reflection occurrence (`source`) and worker, enforced by the database, so
attendance marked twice, or by two replicas at once, counts once. NULL sources (records made on
the form) never collide: both engines treat NULLs in a unique index as distinct.
"""

from __future__ import annotations

from sqlalchemy import Index

from storage.people.models import SupervisionRecord

SOURCE_INDEX = Index("ux_supervision_source", SupervisionRecord.worker_id, SupervisionRecord.source, unique=True)
