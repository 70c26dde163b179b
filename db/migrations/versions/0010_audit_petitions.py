"""Indexes for the petitions audit suite (validation/audit_suites/petitions.yaml).

Each petitions check is one query returning only failing rows; over a million petitions
(about five million events) they stay in budget by reading narrow indexes in the order
the check needs instead of sorting or scanning the tables:

- ``petition_event_recorded``: each petition's events in recording order (id) with their
  time and statuses, so P1 (time order) and P2 (status changes) are index-only scans
  feeding a window function, with no sort.
- ``petition_event_resolved`` / ``petition_event_feedback``: the few resolved and
  feedback events, for P3 (feedback only after a resolution).
- ``petition_open_due``: open petitions by due date, for P4 (overdue).
- ``petition_triaged_at``: petitions waiting in triaged by triage time, for P5
  (unassigned).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

from db.migrations.sql import execute_script

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


UPGRADE = r"""
CREATE INDEX petition_event_recorded ON petition_event (petition_id, id)
    INCLUDE (at, from_status, to_status);
CREATE INDEX petition_event_resolved ON petition_event (petition_id, at) WHERE kind = 'resolved';
CREATE INDEX petition_event_feedback ON petition_event (petition_id, at) WHERE kind = 'feedback';
CREATE INDEX petition_open_due ON petition (due_date)
    WHERE status IN ('received', 'triaged', 'assigned', 'in_progress');
CREATE INDEX petition_triaged_at ON petition (triaged_at) WHERE status = 'triaged';
"""

DOWNGRADE = r"""
DROP INDEX petition_triaged_at, petition_open_due, petition_event_feedback,
    petition_event_resolved, petition_event_recorded;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
