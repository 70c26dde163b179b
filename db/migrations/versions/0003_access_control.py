"""Access control: the application role, row-level security by area, masking, audit log.

Every request runs its statements in a transaction that first sets, from the verified
token, ``gongzhi.role``, ``gongzhi.scope`` (the ltree path of the token's area),
``gongzhi.household`` (residents) and ``gongzhi.subject``. Policies read those settings
through the functions below, so an unset or unknown role sees nothing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from db.migrations.sql import execute_script

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


UPGRADE = r"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gongzhi_app') THEN
        -- the role the service works as: no login of its own (it is SET ROLE'd to, or
        -- granted to a login role), never bypasses row-level security
        CREATE ROLE gongzhi_app NOLOGIN NOBYPASSRLS;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO gongzhi_app;

-- The principal of the current transaction -------------------------------------------
CREATE FUNCTION gongzhi_role() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(current_setting('gongzhi.role', true), '')
$$;

CREATE FUNCTION gongzhi_scope_setting() RETURNS ltree
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(current_setting('gongzhi.scope', true), '')::ltree
$$;

-- The subtree whose people the principal may read: everything ('' is every path's
-- ancestor) for admins and auditors, the token's area for workers and officers, none
-- (NULL) for anyone else.
CREATE FUNCTION gongzhi_read_scope() RETURNS ltree
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE gongzhi_role()
        WHEN 'admin' THEN ''::ltree
        WHEN 'auditor' THEN ''::ltree
        WHEN 'grid_worker' THEN gongzhi_scope_setting()
        WHEN 'community_worker' THEN gongzhi_scope_setting()
        WHEN 'officer' THEN gongzhi_scope_setting()
    END
$$;

-- The subtree the principal may change: auditors read only.
CREATE FUNCTION gongzhi_write_scope() RETURNS ltree
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE gongzhi_role()
        WHEN 'admin' THEN ''::ltree
        WHEN 'grid_worker' THEN gongzhi_scope_setting()
        WHEN 'community_worker' THEN gongzhi_scope_setting()
        WHEN 'officer' THEN gongzhi_scope_setting()
    END
$$;

-- A resident principal's own household.
CREATE FUNCTION gongzhi_household() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN gongzhi_role() = 'resident'
                THEN nullif(current_setting('gongzhi.household', true), '')::bigint END
$$;

-- Who sees whole ID numbers and phones: those who register and contact residents, and
-- residents (who only see their own household anyway). Officers, department officers and
-- auditors see them masked.
CREATE FUNCTION gongzhi_sees_personal() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(gongzhi_role() IN ('admin', 'grid_worker', 'community_worker', 'resident'), false)
$$;

CREATE FUNCTION mask_id_number(id_number text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN gongzhi_sees_personal() THEN id_number
                ELSE left(id_number, 6) || repeat('*', length(id_number) - 10) || right(id_number, 4)
           END
$$;

CREATE FUNCTION mask_phone(phone text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN gongzhi_sees_personal() THEN phone
                ELSE left(phone, 3) || repeat('*', length(phone) - 7) || right(phone, 4)
           END
$$;

-- Areas: the tree is reference data every principal reads; only admins change it here
-- (operators import it with `gongzhi areas import`, as the owner).
ALTER TABLE area ENABLE ROW LEVEL SECURITY;
CREATE POLICY area_read ON area FOR SELECT USING (gongzhi_role() IS NOT NULL);
CREATE POLICY area_admin ON area FOR ALL
    USING (gongzhi_role() = 'admin') WITH CHECK (gongzhi_role() = 'admin');

-- Households and residents: the area subtree, or a resident's own household.
ALTER TABLE household ENABLE ROW LEVEL SECURITY;
CREATE POLICY household_read ON household FOR SELECT
    USING (area_path <@ gongzhi_read_scope() OR id = gongzhi_household());
CREATE POLICY household_insert ON household FOR INSERT
    WITH CHECK (area_path <@ gongzhi_write_scope());
CREATE POLICY household_update ON household FOR UPDATE
    USING (area_path <@ gongzhi_write_scope()) WITH CHECK (area_path <@ gongzhi_write_scope());
CREATE POLICY household_delete ON household FOR DELETE
    USING (area_path <@ gongzhi_write_scope());

ALTER TABLE resident ENABLE ROW LEVEL SECURITY;
CREATE POLICY resident_read ON resident FOR SELECT
    USING (area_path <@ gongzhi_read_scope() OR household_id = gongzhi_household());
CREATE POLICY resident_insert ON resident FOR INSERT
    WITH CHECK (area_path <@ gongzhi_write_scope());
CREATE POLICY resident_update ON resident FOR UPDATE
    USING (area_path <@ gongzhi_write_scope()) WITH CHECK (area_path <@ gongzhi_write_scope());
CREATE POLICY resident_delete ON resident FOR DELETE
    USING (area_path <@ gongzhi_write_scope());

-- Audit log: one row per mutation, written in the mutation's transaction, never changed.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    subject     text NOT NULL,
    role        text NOT NULL,
    operation   text NOT NULL,
    target_type text NOT NULL,
    target_ids  bigint[] NOT NULL,
    area_path   ltree,
    before      jsonb,
    after       jsonb
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_targets ON audit_log USING gin (target_ids);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege', CONSTRAINT = TG_TABLE_NAME || '_append_only';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_log_read ON audit_log FOR SELECT
    USING (gongzhi_role() IN ('auditor', 'admin'));
-- a row names the transaction's own principal: nobody writes in someone else's name
CREATE POLICY audit_log_write ON audit_log FOR INSERT
    WITH CHECK (subject = current_setting('gongzhi.subject', true) AND role = gongzhi_role());

-- Row changes a mutation makes, gathered by triggers and folded by audit_commit() into
-- the mutation's one audit_log row. Only while gongzhi.operation is set (service
-- mutations); operators' imports and the seed write no audit rows.
CREATE UNLOGGED TABLE audit_change (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid       bigint NOT NULL DEFAULT txid_current(),
    table_name text NOT NULL,
    op         text NOT NULL,
    row_id     bigint NOT NULL,
    area_path  ltree,
    old        jsonb,
    new        jsonb
);
CREATE INDEX audit_change_txid ON audit_change (txid);

-- Personal data never enters the log whole, whoever writes or reads it.
CREATE FUNCTION audit_mask(row_data jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN row_data IS NULL THEN NULL ELSE
        row_data
        || CASE WHEN row_data->>'id_number' IS NOT NULL THEN jsonb_build_object('id_number',
               left(row_data->>'id_number', 6) || repeat('*', length(row_data->>'id_number') - 10)
               || right(row_data->>'id_number', 4)) ELSE '{}'::jsonb END
        || CASE WHEN row_data->>'phone' IS NOT NULL THEN jsonb_build_object('phone',
               left(row_data->>'phone', 3) || repeat('*', length(row_data->>'phone') - 7)
               || right(row_data->>'phone', 4)) ELSE '{}'::jsonb END
    END
$$;

CREATE FUNCTION audit_capture() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
    IF nullif(current_setting('gongzhi.operation', true), '') IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_change (table_name, op, row_id, area_path, old, new)
    VALUES (TG_TABLE_NAME, TG_OP,
            CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END,
            CASE WHEN TG_OP = 'DELETE' THEN OLD.area_path ELSE NEW.area_path END,
            CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE audit_mask(to_jsonb(OLD)) END,
            CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE audit_mask(to_jsonb(NEW)) END);
    RETURN NULL;
END
$$;
CREATE TRIGGER household_audit AFTER INSERT OR UPDATE OR DELETE ON household
    FOR EACH ROW EXECUTE FUNCTION audit_capture();
CREATE TRIGGER resident_audit AFTER INSERT OR UPDATE OR DELETE ON resident
    FOR EACH ROW EXECUTE FUNCTION audit_capture();

-- One audit row for the transaction's changes: who (from the settings, so not forgeable by
-- the caller), what operation, which target, each changed row before and after.
CREATE FUNCTION audit_commit(target_type text, target_id bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
    entry_id bigint;
BEGIN
    INSERT INTO audit_log (subject, role, operation, target_type, target_ids, area_path,
                           before, after)
    SELECT current_setting('gongzhi.subject'), gongzhi_role(),
           current_setting('gongzhi.operation'), target_type, ARRAY[target_id],
           (array_agg(c.area_path ORDER BY c.seq DESC))[1],
           coalesce(jsonb_agg(jsonb_build_object('table', c.table_name, 'id', c.row_id,
                                                 'row', c.old) ORDER BY c.seq)
                    FILTER (WHERE c.old IS NOT NULL), '[]'::jsonb),
           coalesce(jsonb_agg(jsonb_build_object('table', c.table_name, 'id', c.row_id,
                                                 'row', c.new) ORDER BY c.seq)
                    FILTER (WHERE c.new IS NOT NULL), '[]'::jsonb)
      FROM audit_change c WHERE c.txid = txid_current()
    RETURNING id INTO entry_id;
    DELETE FROM audit_change WHERE txid = txid_current();
    RETURN entry_id;
END
$$;
REVOKE ALL ON FUNCTION audit_commit(text, bigint) FROM PUBLIC;

-- Statistics intake (migration 0002): reports, findings and quarantined rows by area;
-- rows naming no stored area only for those who see everything.
CREATE FUNCTION gongzhi_reads(path ltree) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(path <@ gongzhi_read_scope(), path IS NULL AND gongzhi_read_scope() = '')
$$;
CREATE FUNCTION gongzhi_writes(path ltree) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(path <@ gongzhi_write_scope(),
                    path IS NULL AND gongzhi_write_scope() IS NOT NULL)
$$;

ALTER TABLE validation_run ENABLE ROW LEVEL SECURITY;
CREATE POLICY validation_run_read ON validation_run FOR SELECT
    USING (gongzhi_read_scope() IS NOT NULL);
CREATE POLICY validation_run_write ON validation_run FOR INSERT
    WITH CHECK (gongzhi_write_scope() IS NOT NULL);

ALTER TABLE monthly_report ENABLE ROW LEVEL SECURITY;
CREATE POLICY monthly_report_read ON monthly_report FOR SELECT
    USING (area_path <@ gongzhi_read_scope());
CREATE POLICY monthly_report_write ON monthly_report FOR INSERT
    WITH CHECK (area_path <@ gongzhi_write_scope());
-- the view answers as the caller, so the table's policies apply through it
ALTER VIEW monthly_report_current SET (security_invoker = true);

ALTER TABLE report_finding ENABLE ROW LEVEL SECURITY;
CREATE POLICY report_finding_read ON report_finding FOR SELECT USING (gongzhi_reads(area_path));
CREATE POLICY report_finding_write ON report_finding FOR INSERT
    WITH CHECK (gongzhi_writes(area_path));

ALTER TABLE quarantined_report ENABLE ROW LEVEL SECURITY;
CREATE POLICY quarantined_report_read ON quarantined_report FOR SELECT
    USING (gongzhi_reads(area_path));
CREATE POLICY quarantined_report_insert ON quarantined_report FOR INSERT
    WITH CHECK (gongzhi_writes(area_path));
CREATE POLICY quarantined_report_update ON quarantined_report FOR UPDATE
    USING (gongzhi_writes(area_path)) WITH CHECK (gongzhi_writes(area_path));

-- What the application role may do -----------------------------------------------------
GRANT SELECT ON area TO gongzhi_app;
GRANT INSERT, UPDATE (name) ON area TO gongzhi_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON household, resident TO gongzhi_app;
GRANT SELECT ON audit_log TO gongzhi_app;
GRANT SELECT, INSERT ON validation_run, monthly_report, report_finding TO gongzhi_app;
GRANT SELECT, INSERT, UPDATE ON quarantined_report TO gongzhi_app;
GRANT SELECT ON monthly_report_current TO gongzhi_app;
GRANT EXECUTE ON FUNCTION audit_commit(text, bigint) TO gongzhi_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO gongzhi_app;
"""

DOWNGRADE = r"""
ALTER VIEW monthly_report_current RESET (security_invoker);
DROP POLICY validation_run_read ON validation_run;
DROP POLICY validation_run_write ON validation_run;
ALTER TABLE validation_run DISABLE ROW LEVEL SECURITY;
DROP POLICY monthly_report_read ON monthly_report;
DROP POLICY monthly_report_write ON monthly_report;
ALTER TABLE monthly_report DISABLE ROW LEVEL SECURITY;
DROP POLICY report_finding_read ON report_finding;
DROP POLICY report_finding_write ON report_finding;
ALTER TABLE report_finding DISABLE ROW LEVEL SECURITY;
DROP POLICY quarantined_report_read ON quarantined_report;
DROP POLICY quarantined_report_insert ON quarantined_report;
DROP POLICY quarantined_report_update ON quarantined_report;
ALTER TABLE quarantined_report DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON validation_run, monthly_report, report_finding, quarantined_report,
    monthly_report_current FROM gongzhi_app;
DROP FUNCTION gongzhi_reads, gongzhi_writes;
DROP TRIGGER household_audit ON household;
DROP TRIGGER resident_audit ON resident;
DROP FUNCTION audit_commit, audit_capture, audit_mask;
DROP TABLE audit_change;
DROP TABLE audit_log;
DROP FUNCTION refuse_change;
DROP POLICY resident_read ON resident;
DROP POLICY resident_insert ON resident;
DROP POLICY resident_update ON resident;
DROP POLICY resident_delete ON resident;
ALTER TABLE resident DISABLE ROW LEVEL SECURITY;
DROP POLICY household_read ON household;
DROP POLICY household_insert ON household;
DROP POLICY household_update ON household;
DROP POLICY household_delete ON household;
ALTER TABLE household DISABLE ROW LEVEL SECURITY;
DROP POLICY area_read ON area;
DROP POLICY area_admin ON area;
ALTER TABLE area DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON area, household, resident FROM gongzhi_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM gongzhi_app;
REVOKE USAGE ON SCHEMA public FROM gongzhi_app;
DROP FUNCTION mask_phone, mask_id_number, gongzhi_sees_personal, gongzhi_household,
    gongzhi_write_scope, gongzhi_read_scope, gongzhi_scope_setting, gongzhi_role;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
