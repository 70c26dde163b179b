"""Monthly community reports: validation runs, report versions, findings, quarantine.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Contract: shared/contracts/statistics-intake.md section 2. The intake checks every rule
before it writes; the rules that concern one stored row are also constraints here, so a
report that slipped past the intake (or a DBA's INSERT) still cannot be stored.

Runs, report versions and findings are history: append-only, enforced by triggers.
Every table holding rows of an area carries ``area_path`` (a copy of the area's path,
as household.area_path) so row-level security can filter on the subtree without a join.
"""

from db.migrations.sql import execute_script

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


UPGRADE = r"""
CREATE TYPE finding_severity AS ENUM ('error', 'warning');
CREATE TYPE intake_source AS ENUM ('cli', 'graphql');
CREATE TYPE quarantine_status AS ENUM ('open', 'corrected', 'resubmitted', 'dismissed');

-- History must not be rewritten: raise on any UPDATE, DELETE or TRUNCATE.
CREATE FUNCTION forbid_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: rows are never updated or deleted', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation', CONSTRAINT = TG_TABLE_NAME || '_append_only';
END
$$;

-- Days in the month that starts on ``period``: for the volunteer-hours ceiling (E9).
CREATE FUNCTION days_in_month(period date) RETURNS int
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT extract(day FROM (date_trunc('month', period) + interval '1 month - 1 day'))::int
$$;

-- The area whose path a row with this code falls under: the area itself, else the
-- nearest stored ancestor by code prefix (town, county, ...), so that a quarantined row
-- for an unknown village code is still visible to the town that must correct it.
CREATE FUNCTION area_path_for_code(code text) RETURNS ltree
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    -- $1, not the name: inside the query "code" would be the column
    SELECT a.path FROM area a
     WHERE a.code IN ($1, left($1, 9), left($1, 6), left($1, 4), left($1, 2))
     ORDER BY length(a.code) DESC
     LIMIT 1
$$;

CREATE TABLE validation_run (
    id            uuid PRIMARY KEY,
    -- creation order, for stable keyset pagination (uuids do not sort by time)
    seq           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    suite         text NOT NULL,
    suite_version text NOT NULL CHECK (suite_version ~ '^[0-9a-f]{12,64}$'),
    submitted_by  text NOT NULL CHECK (length(btrim(submitted_by)) BETWEEN 1 AND 200),
    source        intake_source NOT NULL,
    dry_run       boolean NOT NULL,
    atomic        boolean NOT NULL,
    revise        boolean NOT NULL,
    rows          int NOT NULL CHECK (rows >= 0),
    accepted      int NOT NULL CHECK (accepted >= 0),
    rejected      int NOT NULL CHECK (rejected >= 0),
    warnings      int NOT NULL CHECK (warnings >= 0),
    stored        boolean NOT NULL,
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz NOT NULL,
    CONSTRAINT validation_run_counts CHECK (accepted + rejected = rows),
    CONSTRAINT validation_run_times CHECK (finished_at >= started_at),
    -- a dry run stores nothing, not even its run; an atomic one with a rejection stores
    -- no report
    CONSTRAINT validation_run_stored CHECK (NOT dry_run AND (stored = NOT (atomic AND rejected > 0)))
);

CREATE TABLE monthly_report (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    area_id             bigint NOT NULL REFERENCES area (id) ON DELETE RESTRICT,
    area_path           ltree NOT NULL,
    period              date NOT NULL CONSTRAINT monthly_report_period_month
                            CHECK (period = date_trunc('month', period)::date AND period >= DATE '1900-01-01'),
    version             int NOT NULL CHECK (version >= 1),
    households          int NOT NULL CHECK (households >= 0),
    residents           int NOT NULL CHECK (residents >= 0),
    party_members       int NOT NULL CHECK (party_members >= 0),
    requests_open_start int NOT NULL CHECK (requests_open_start >= 0),
    requests_received   int NOT NULL CHECK (requests_received >= 0),
    requests_resolved   int NOT NULL CHECK (requests_resolved >= 0),
    requests_open_end   int NOT NULL CHECK (requests_open_end >= 0),
    feedback_received   int NOT NULL CHECK (feedback_received >= 0),
    feedback_satisfied  int NOT NULL CHECK (feedback_satisfied >= 0),
    volunteers_active   int NOT NULL CHECK (volunteers_active >= 0),
    volunteer_hours     numeric(11, 1) NOT NULL CHECK (volunteer_hours >= 0),
    activities_held     int NOT NULL CHECK (activities_held >= 0),
    collective_income   numeric(14, 2) NOT NULL CHECK (collective_income >= 0),
    dividends_paid      numeric(14, 2) NOT NULL CHECK (dividends_paid >= 0),
    dividend_households int NOT NULL CHECK (dividend_households >= 0),
    submitted_by        text NOT NULL CHECK (length(btrim(submitted_by)) BETWEEN 1 AND 200),
    run_id              uuid NOT NULL REFERENCES validation_run (id),
    source_row          int NOT NULL CHECK (source_row >= 1),
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT monthly_report_version UNIQUE (area_id, period, version),
    -- rules E5-E10, the ones a single stored row can break
    CONSTRAINT monthly_report_e5 CHECK (residents >= households),
    CONSTRAINT monthly_report_e6 CHECK (party_members <= residents),
    CONSTRAINT monthly_report_e7
        CHECK (requests_open_start + requests_received - requests_resolved = requests_open_end),
    CONSTRAINT monthly_report_e8
        CHECK (feedback_satisfied <= feedback_received AND feedback_received <= requests_resolved),
    CONSTRAINT monthly_report_e9 CHECK (
        volunteer_hours <= volunteers_active * 24 * days_in_month(period)
        AND (volunteers_active > 0 OR volunteer_hours = 0)),
    CONSTRAINT monthly_report_e10 CHECK (
        dividend_households <= households AND (dividends_paid > 0) = (dividend_households > 0))
);
CREATE INDEX monthly_report_area_path_gist ON monthly_report USING gist (area_path);
CREATE INDEX monthly_report_period ON monthly_report (period, area_id);
CREATE INDEX monthly_report_run ON monthly_report (run_id);

-- Reports belong to villages/communities (E3); the path follows the area.
CREATE FUNCTION monthly_report_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a area%ROWTYPE;
BEGIN
    SELECT * INTO a FROM area WHERE id = NEW.area_id;
    IF a.level IS DISTINCT FROM 'village' THEN
        RAISE EXCEPTION 'monthly reports are for villages/communities, not % %', a.level, a.code
            USING ERRCODE = 'check_violation', CONSTRAINT = 'monthly_report_area_level';
    END IF;
    NEW.area_path := a.path;
    RETURN NEW;
END
$$;
CREATE TRIGGER monthly_report_before_insert BEFORE INSERT ON monthly_report
    FOR EACH ROW EXECUTE FUNCTION monthly_report_before_insert();

-- The current version of each (area, month): the one no later version supersedes.
CREATE VIEW monthly_report_current AS
SELECT r.* FROM monthly_report r
 WHERE NOT EXISTS (SELECT 1 FROM monthly_report n
                    WHERE n.area_id = r.area_id AND n.period = r.period AND n.version > r.version);

CREATE TABLE report_finding (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      uuid NOT NULL REFERENCES validation_run (id),
    source_row  int NOT NULL CHECK (source_row >= 1),
    -- as submitted (may name no stored area); area_path is the area's or its nearest
    -- stored ancestor's, NULL when even the province is unknown
    area_code   text,
    period      text,
    area_path   ltree,
    rule        text NOT NULL CHECK (rule ~ '^[EW][0-9]+$'),
    severity    finding_severity NOT NULL,
    message     text NOT NULL,
    CONSTRAINT report_finding_severity CHECK ((severity = 'error') = (rule LIKE 'E%'))
);
CREATE INDEX report_finding_run ON report_finding (run_id, source_row);
CREATE INDEX report_finding_area_path_gist ON report_finding USING gist (area_path);

CREATE TABLE quarantined_report (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id           uuid NOT NULL REFERENCES validation_run (id),
    source_row       int NOT NULL CHECK (source_row >= 1),
    area_code        text,
    period           text,
    area_path        ltree,
    -- the row exactly as submitted (column -> text or null)
    raw_values       jsonb NOT NULL CHECK (jsonb_typeof(raw_values) = 'object'),
    -- [{rule, severity, message}] at the time of the run
    findings         jsonb NOT NULL CHECK (jsonb_typeof(findings) = 'array'),
    status           quarantine_status NOT NULL DEFAULT 'open',
    -- the entry this one is a correction or resubmission of
    previous_id      bigint REFERENCES quarantined_report (id),
    resolved_run_id  uuid REFERENCES validation_run (id),
    resolved_by      text,
    resolved_at      timestamptz,
    note             text CHECK (length(note) <= 1000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT quarantined_report_resolution CHECK (
        (status = 'open') = (resolved_at IS NULL)
        AND (status = 'open') = (resolved_by IS NULL)
        AND (status IN ('corrected', 'resubmitted')) = (resolved_run_id IS NOT NULL))
);
CREATE INDEX quarantined_report_run ON quarantined_report (run_id, source_row);
CREATE INDEX quarantined_report_area_path_gist ON quarantined_report USING gist (area_path);
CREATE INDEX quarantined_report_open ON quarantined_report (id) WHERE status = 'open';

-- A quarantined row keeps what was submitted and found; only an open entry changes, and
-- only to its resolution (corrected, resubmitted or dismissed), once.
CREATE FUNCTION quarantined_report_before_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'quarantined rows are never deleted; dismiss them instead'
            USING ERRCODE = 'restrict_violation', CONSTRAINT = 'quarantined_report_kept';
    END IF;
    IF OLD.status <> 'open' THEN
        RAISE EXCEPTION 'quarantined row % is already %', OLD.id, OLD.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'quarantined_report_resolved_once';
    END IF;
    IF (NEW.run_id, NEW.source_row, NEW.area_code, NEW.period, NEW.area_path, NEW.raw_values,
        NEW.findings, NEW.previous_id, NEW.created_at)
       IS DISTINCT FROM
       (OLD.run_id, OLD.source_row, OLD.area_code, OLD.period, OLD.area_path, OLD.raw_values,
        OLD.findings, OLD.previous_id, OLD.created_at) THEN
        RAISE EXCEPTION 'a quarantined row keeps what was submitted; only its resolution changes'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'quarantined_report_immutable';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER quarantined_report_before_change BEFORE UPDATE OR DELETE ON quarantined_report
    FOR EACH ROW EXECUTE FUNCTION quarantined_report_before_change();

CREATE TRIGGER validation_run_append_only BEFORE UPDATE OR DELETE ON validation_run
    FOR EACH ROW EXECUTE FUNCTION forbid_rewrite();
CREATE TRIGGER validation_run_no_truncate BEFORE TRUNCATE ON validation_run
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_rewrite();
CREATE TRIGGER monthly_report_append_only BEFORE UPDATE OR DELETE ON monthly_report
    FOR EACH ROW EXECUTE FUNCTION forbid_rewrite();
CREATE TRIGGER monthly_report_no_truncate BEFORE TRUNCATE ON monthly_report
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_rewrite();
CREATE TRIGGER report_finding_append_only BEFORE UPDATE OR DELETE ON report_finding
    FOR EACH ROW EXECUTE FUNCTION forbid_rewrite();
CREATE TRIGGER report_finding_no_truncate BEFORE TRUNCATE ON report_finding
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_rewrite();
CREATE TRIGGER quarantined_report_no_truncate BEFORE TRUNCATE ON quarantined_report
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_rewrite();
"""

DOWNGRADE = r"""
DROP TABLE quarantined_report;
DROP TABLE report_finding;
DROP VIEW monthly_report_current;
DROP TABLE monthly_report;
DROP TABLE validation_run;
DROP FUNCTION quarantined_report_before_change, monthly_report_before_insert, area_path_for_code,
    days_in_month, forbid_rewrite;
DROP TYPE quarantine_status, intake_source, finding_severity;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
