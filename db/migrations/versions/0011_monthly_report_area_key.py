"""Monthly reports: the village and its path checked by a foreign key, not a row trigger.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23

A report's ``area_path`` copies its village's path (for row-level security) and rule E3
says the area is a village. Until now a BEFORE INSERT trigger looked the area up, refused
a non-village and filled the path: a PL/pgSQL call per row, about a fifth of the time it
takes to store a 10,000-row file. Now the writer gives the path and the database checks
it set-based, with the foreign key it checks anyway: ``(area_id, area_path, area_level)``
must be an area's ``(id, path, level)``, and ``area_level`` can only be ``village``. A
writer that leaves the path out still gets it from the trigger, which now runs only for
those rows (``WHEN (NEW.area_path IS NULL)``).
"""

from db.migrations.sql import execute_script

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


UPGRADE = r"""
ALTER TABLE area ADD CONSTRAINT area_id_path_level UNIQUE (id, path, level);

ALTER TABLE monthly_report
    ADD COLUMN area_level area_level NOT NULL DEFAULT 'village'
        CONSTRAINT monthly_report_area_level CHECK (area_level = 'village'),
    DROP CONSTRAINT monthly_report_area_id_fkey,
    ADD CONSTRAINT monthly_report_area FOREIGN KEY (area_id, area_path, area_level)
        REFERENCES area (id, path, level) ON DELETE RESTRICT;

DROP TRIGGER monthly_report_before_insert ON monthly_report;
CREATE TRIGGER monthly_report_before_insert BEFORE INSERT ON monthly_report
    FOR EACH ROW WHEN (NEW.area_path IS NULL) EXECUTE FUNCTION monthly_report_before_insert();
"""

DOWNGRADE = r"""
DROP TRIGGER monthly_report_before_insert ON monthly_report;
CREATE TRIGGER monthly_report_before_insert BEFORE INSERT ON monthly_report
    FOR EACH ROW EXECUTE FUNCTION monthly_report_before_insert();

ALTER TABLE monthly_report
    DROP CONSTRAINT monthly_report_area,
    ADD CONSTRAINT monthly_report_area_id_fkey FOREIGN KEY (area_id)
        REFERENCES area (id) ON DELETE RESTRICT,
    DROP COLUMN area_level;

ALTER TABLE area DROP CONSTRAINT area_id_path_level;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
