"""Let subtree predicates use their indexes under row-level security.

Under a policy PostgreSQL evaluates a query's own conditions only after the policy's,
unless their functions are LEAKPROOF; ltree's containment functions are not marked so,
and every `area_path <@ $path` of a query became a filter over the whole policy range
(measured on the demo data at scale 0.1: 21 ms -> 3.6 ms for one community's residents
as admin). They raise no error that depends on their arguments' values, which is what
LEAKPROOF promises. Marking a function needs a superuser; without one the migration
says so and leaves the functions as they are (correct, slower).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from db.migrations.sql import execute_script

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UPGRADE = r"""
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        ALTER FUNCTION ltree_isparent(ltree, ltree) LEAKPROOF;
        ALTER FUNCTION ltree_risparent(ltree, ltree) LEAKPROOF;
    ELSE
        RAISE NOTICE 'not a superuser: ask one to run ALTER FUNCTION ltree_isparent(ltree, ltree) '
            'LEAKPROOF and the same for ltree_risparent, or subtree queries will scan more';
    END IF;
END
$$;
"""

DOWNGRADE = r"""
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        ALTER FUNCTION ltree_isparent(ltree, ltree) NOT LEAKPROOF;
        ALTER FUNCTION ltree_risparent(ltree, ltree) NOT LEAKPROOF;
    END IF;
END
$$;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
