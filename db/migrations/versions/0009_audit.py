"""Audit runs: data-quality suites run over stored data, their findings and follow-up.

An audit run (``gongzhi audit run``, mutation ``runAudit``) runs one or more audit
suites (validation/audit_suites/*.yaml) over a scope (an area subtree, a month) and
stores what every check found: one ``audit_check`` row per check with its count and
status, one ``audit_finding`` row per failing row naming the row's type and id, and the
run's Data Docs page. Runs, checks, findings and docs are history: append-only.

A finding's follow-up is an append-only list of status events keyed by the finding's
fingerprint (suite, rule, target, period), so the same problem found again by a later
run carries its follow-up with it. A trigger allows only these transitions:
open -> follow_up -> closed, open -> closed, closed -> follow_up (reopened); closing
needs a note.

Access: auditors and admins only. An admin sees every run; an auditor whose token names
an area sees the runs scoped inside it and the findings under it, one without an area
sees everything (``gongzhi_audit_scope()``). Audit log mutations (audit_log, migration
0003) are a different thing: who changed what.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from db.migrations.sql import execute_script

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


UPGRADE = r"""
CREATE TYPE audit_check_status AS ENUM ('passed', 'failed', 'broken');
CREATE TYPE audit_finding_status AS ENUM ('open', 'follow_up', 'closed');

-- The subtree an auditor audits: everything for admins and for auditors without an area,
-- the token's area for an auditor with one, nothing (NULL) for anyone else.
CREATE FUNCTION gongzhi_audit_scope() RETURNS ltree
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE gongzhi_role()
        WHEN 'admin' THEN ''::ltree
        WHEN 'auditor' THEN coalesce(gongzhi_scope_setting(), ''::ltree)
    END
$$;

CREATE FUNCTION gongzhi_audits(path ltree) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(path <@ gongzhi_audit_scope(), path IS NULL AND gongzhi_audit_scope() = '')
$$;

CREATE TABLE audit_run (
    id              uuid PRIMARY KEY,
    -- creation order, for keyset pagination and "the run before this one"
    seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    -- {suite name: version (hash of its file)} of every suite run
    suites          jsonb NOT NULL CHECK (jsonb_typeof(suites) = 'object'),
    -- the area audited (NULL: everything) and its path ('' for everything)
    scope_code      text,
    area_path       ltree NOT NULL,
    period          date CHECK (period = date_trunc('month', period)::date),
    started_by      text NOT NULL CHECK (length(btrim(started_by)) BETWEEN 1 AND 200),
    source          intake_source NOT NULL,
    checks          int NOT NULL CHECK (checks >= 0),
    failed_checks   int NOT NULL CHECK (failed_checks >= 0),
    broken_checks   int NOT NULL CHECK (broken_checks >= 0),
    findings        int NOT NULL CHECK (findings >= 0),
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL,
    CONSTRAINT audit_run_times CHECK (finished_at >= started_at),
    CONSTRAINT audit_run_counts CHECK (failed_checks + broken_checks <= checks)
);
CREATE INDEX audit_run_area_path_gist ON audit_run USING gist (area_path);

CREATE TABLE audit_check (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      uuid NOT NULL REFERENCES audit_run (id),
    area_path   ltree NOT NULL,
    position    int NOT NULL CHECK (position >= 0),
    suite       text NOT NULL,
    suite_version text NOT NULL,
    rule        text NOT NULL CHECK (rule ~ '^[A-Z]+[0-9]+$'),
    severity    finding_severity NOT NULL,
    description text NOT NULL,
    status      audit_check_status NOT NULL,
    failing     int NOT NULL CHECK (failing >= 0),
    error       text,
    seconds     double precision NOT NULL CHECK (seconds >= 0),
    CONSTRAINT audit_check_once UNIQUE (run_id, suite, rule),
    CONSTRAINT audit_check_broken CHECK ((status = 'broken') = (error IS NOT NULL)),
    CONSTRAINT audit_check_failing CHECK ((status = 'failed') = (failing > 0))
);

CREATE TABLE audit_finding (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id       uuid NOT NULL REFERENCES audit_run (id),
    suite        text NOT NULL,
    rule         text NOT NULL CHECK (rule ~ '^[A-Z]+[0-9]+$'),
    severity     finding_severity NOT NULL,
    -- what the failing row is: a table's row (resident, household, monthly_report) by id,
    -- or an area by code
    target_type  text NOT NULL,
    target_id    text NOT NULL,
    period       date,
    -- the same problem in every run: suite/rule/target_type/target_id[/period]
    fingerprint  text NOT NULL,
    area_path    ltree,
    message      text NOT NULL,
    details      jsonb NOT NULL CHECK (jsonb_typeof(details) = 'object'),
    CONSTRAINT audit_finding_once UNIQUE (run_id, fingerprint)
);
CREATE INDEX audit_finding_fingerprint ON audit_finding (fingerprint);
CREATE INDEX audit_finding_area_path_gist ON audit_finding USING gist (area_path);
CREATE INDEX audit_finding_target ON audit_finding (target_type, target_id);

-- One page per suite of the run, rendered by Great Expectations when the run finished.
CREATE TABLE audit_run_docs (
    run_id      uuid NOT NULL REFERENCES audit_run (id),
    suite       text NOT NULL,
    area_path   ltree NOT NULL,
    html        text NOT NULL,
    PRIMARY KEY (run_id, suite)
);

CREATE TABLE audit_finding_event (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    finding_id   bigint NOT NULL REFERENCES audit_finding (id),
    fingerprint  text NOT NULL,
    area_path    ltree,
    status       audit_finding_status NOT NULL CHECK (status <> 'open'),
    note         text CHECK (length(note) <= 2000),
    by_subject   text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT audit_finding_event_close_note
        CHECK (status <> 'closed' OR coalesce(length(btrim(note)), 0) >= 1)
);
CREATE INDEX audit_finding_event_fingerprint ON audit_finding_event (fingerprint, id DESC);

-- The fingerprint and path come from the finding (never from the caller), and the
-- status moves only along the allowed transitions.
CREATE FUNCTION audit_finding_event_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    f audit_finding%ROWTYPE;
    previous audit_finding_status;
BEGIN
    SELECT * INTO f FROM audit_finding WHERE id = NEW.finding_id;
    NEW.fingerprint := f.fingerprint;
    NEW.area_path := f.area_path;
    -- one follow-up history per fingerprint at a time
    PERFORM pg_advisory_xact_lock(hashtext('audit_finding_event:' || f.fingerprint));
    SELECT e.status INTO previous FROM audit_finding_event e
     WHERE e.fingerprint = f.fingerprint ORDER BY e.id DESC LIMIT 1;
    previous := coalesce(previous, 'open');
    IF NOT ((previous = 'open' AND NEW.status IN ('follow_up', 'closed'))
            OR (previous = 'follow_up' AND NEW.status = 'closed')
            OR (previous = 'closed' AND NEW.status = 'follow_up')) THEN
        RAISE EXCEPTION 'finding % is %, it cannot become %', NEW.finding_id, previous, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'audit_finding_transition';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_finding_event_before_insert BEFORE INSERT ON audit_finding_event
    FOR EACH ROW EXECUTE FUNCTION audit_finding_event_before_insert();

-- A finding's status: the latest event of its fingerprint, 'open' without one.
CREATE FUNCTION audit_finding_status_of(fingerprint text) RETURNS audit_finding_status
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((SELECT e.status FROM audit_finding_event e WHERE e.fingerprint = $1
                      ORDER BY e.id DESC LIMIT 1), 'open')
$$;

CREATE TRIGGER audit_run_append_only BEFORE UPDATE OR DELETE ON audit_run
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_run_no_truncate BEFORE TRUNCATE ON audit_run
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_check_append_only BEFORE UPDATE OR DELETE ON audit_check
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_check_no_truncate BEFORE TRUNCATE ON audit_check
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_finding_append_only BEFORE UPDATE OR DELETE ON audit_finding
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_finding_no_truncate BEFORE TRUNCATE ON audit_finding
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_run_docs_append_only BEFORE UPDATE OR DELETE ON audit_run_docs
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_run_docs_no_truncate BEFORE TRUNCATE ON audit_run_docs
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_finding_event_append_only BEFORE UPDATE OR DELETE ON audit_finding_event
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_finding_event_no_truncate BEFORE TRUNCATE ON audit_finding_event
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_finding_event_audit AFTER INSERT ON audit_finding_event
    FOR EACH ROW EXECUTE FUNCTION audit_capture();

ALTER TABLE audit_run ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_run_read ON audit_run FOR SELECT USING (gongzhi_audits(area_path));
CREATE POLICY audit_run_write ON audit_run FOR INSERT WITH CHECK (gongzhi_audits(area_path));
ALTER TABLE audit_check ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_check_read ON audit_check FOR SELECT USING (gongzhi_audits(area_path));
CREATE POLICY audit_check_write ON audit_check FOR INSERT WITH CHECK (gongzhi_audits(area_path));
ALTER TABLE audit_finding ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_finding_read ON audit_finding FOR SELECT USING (gongzhi_audits(area_path));
CREATE POLICY audit_finding_write ON audit_finding FOR INSERT
    WITH CHECK (gongzhi_audits(area_path));
ALTER TABLE audit_run_docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_run_docs_read ON audit_run_docs FOR SELECT USING (gongzhi_audits(area_path));
CREATE POLICY audit_run_docs_write ON audit_run_docs FOR INSERT
    WITH CHECK (gongzhi_audits(area_path));
ALTER TABLE audit_finding_event ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_finding_event_read ON audit_finding_event FOR SELECT
    USING (gongzhi_audits(area_path));
CREATE POLICY audit_finding_event_write ON audit_finding_event FOR INSERT
    WITH CHECK (gongzhi_audits(area_path) AND by_subject = current_setting('gongzhi.subject', true));

GRANT SELECT, INSERT ON audit_run, audit_check, audit_finding, audit_run_docs,
    audit_finding_event TO gongzhi_app;
GRANT USAGE ON SEQUENCE audit_run_seq_seq, audit_check_id_seq, audit_finding_id_seq,
    audit_finding_event_id_seq TO gongzhi_app;
"""

DOWNGRADE = r"""
DROP TABLE audit_finding_event;
DROP TABLE audit_run_docs;
DROP TABLE audit_finding;
DROP TABLE audit_check;
DROP TABLE audit_run;
DROP FUNCTION audit_finding_status_of, audit_finding_event_before_insert, gongzhi_audits,
    gongzhi_audit_scope;
DROP TYPE audit_finding_status, audit_check_status;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
