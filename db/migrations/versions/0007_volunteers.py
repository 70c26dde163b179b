"""Volunteers: teams, activities, service records, the points ledger, star ratings.

The rules live here so every writer obeys them:

- A volunteer's points balance is a column of ``volunteer`` changed ONLY by inserting a
  ``points_entry`` (a SECURITY DEFINER trigger adds the entry's points in the same
  statement and records the balance after it); ``CHECK (points_balance >= 0)`` makes an
  overdraw fail, and the row lock that UPDATE takes serialises concurrent redemptions, so
  of two redemptions that together overdraw exactly one commits. The ledger is
  append-only (refuse_change). The application role cannot update the balance column.
- Reward stock: ``CHECK (stock >= 0)``, decremented by one UPDATE (atomic, row-locked).
- A service record goes signed_up -> completed -> verified (or straight to completed or
  verified). Verified is final. Verifying names the resident who certifies, who must lead
  the activity's team and not be the volunteer; the verification credits the verified
  minutes and the earned points once (points_entry.service_record_id is UNIQUE).
- Service minutes never exceed the activity's time window: travel is not service time.
- Star ratings: 1-5 stars at 100, 300, 600, 1000, 1500 cumulative verified hours.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from db.migrations.sql import execute_script

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


UPGRADE = r"""
CREATE TYPE volunteer_team_kind AS ENUM
    ('community_building', 'civility', 'mediation', 'help_in_difficulty', 'party_member',
     'elderly_care', 'environment', 'other');
CREATE TYPE team_role AS ENUM ('member', 'leader');
CREATE TYPE activity_kind AS ENUM
    ('patrol', 'cleanup', 'visit', 'mediation', 'publicity', 'care', 'event', 'other');
CREATE TYPE service_status AS ENUM ('signed_up', 'completed', 'verified');
CREATE TYPE points_entry_kind AS ENUM ('earn', 'redeem', 'adjust', 'expire');

-- Star ratings (civil affairs / Youth League rules): thresholds in minutes ---------------
CREATE FUNCTION volunteer_star_thresholds() RETURNS int[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY[100 * 60, 300 * 60, 600 * 60, 1000 * 60, 1500 * 60]
$$;

CREATE FUNCTION volunteer_stars(minutes bigint) RETURNS int
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT count(*)::int FROM unnest(volunteer_star_thresholds()) AS t(m) WHERE minutes >= t.m
$$;

-- minutes needed for the next star; NULL at five stars
CREATE FUNCTION volunteer_next_star_minutes(minutes bigint) RETURNS int
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT min(t.m) FROM unnest(volunteer_star_thresholds()) AS t(m) WHERE t.m > minutes
$$;

-- whole percent of the way from the current star's threshold to the next; 100 at five stars
CREATE FUNCTION volunteer_star_progress(minutes bigint) RETURNS int
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN nxt IS NULL THEN 100
                ELSE ((minutes - cur) * 100 / (nxt - cur))::int END
      FROM (SELECT volunteer_next_star_minutes(minutes) AS nxt,
                   coalesce((SELECT max(t.m) FROM unnest(volunteer_star_thresholds()) AS t(m)
                              WHERE t.m <= minutes), 0) AS cur) s
$$;

-- Volunteers -----------------------------------------------------------------------
CREATE TABLE volunteer (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resident_id       bigint NOT NULL REFERENCES resident (id) ON DELETE RESTRICT
                          CONSTRAINT volunteer_resident_key UNIQUE,
    -- the resident's area when they registered (copied by trigger)
    area_path         ltree NOT NULL,
    -- changed only by the ledger's trigger (the application role may not update it)
    points_balance    bigint NOT NULL DEFAULT 0
                          CONSTRAINT volunteer_points_nonnegative CHECK (points_balance >= 0),
    -- verified service minutes, added when a record is verified (verified records are final)
    verified_minutes  bigint NOT NULL DEFAULT 0 CHECK (verified_minutes >= 0),
    insured_until     date,
    registered_at     timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX volunteer_area_path_gist ON volunteer USING gist (area_path);

CREATE FUNCTION volunteer_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT area_path INTO NEW.area_path FROM resident WHERE id = NEW.resident_id;
    ELSIF NEW.resident_id <> OLD.resident_id OR NEW.area_path <> OLD.area_path THEN
        RAISE EXCEPTION 'a volunteer keeps their resident and area'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'volunteer_identity_immutable';
    ELSE
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER volunteer_before_write BEFORE INSERT OR UPDATE ON volunteer
    FOR EACH ROW EXECUTE FUNCTION volunteer_before_write();

-- Teams and membership ---------------------------------------------------------------
CREATE TABLE volunteer_team (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    area_id     bigint NOT NULL REFERENCES area (id) ON DELETE RESTRICT,
    area_path   ltree NOT NULL,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    kind        volunteer_team_kind NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT volunteer_team_name_key UNIQUE (area_id, name)
);
CREATE INDEX volunteer_team_area_path_gist ON volunteer_team USING gist (area_path);

CREATE FUNCTION copy_area_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.area_id <> OLD.area_id OR NEW.area_path <> OLD.area_path THEN
        SELECT path INTO NEW.area_path FROM area WHERE id = NEW.area_id;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER volunteer_team_area_path BEFORE INSERT OR UPDATE ON volunteer_team
    FOR EACH ROW EXECUTE FUNCTION copy_area_path();

CREATE TABLE team_member (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team_id       bigint NOT NULL REFERENCES volunteer_team (id) ON DELETE RESTRICT,
    volunteer_id  bigint NOT NULL REFERENCES volunteer (id) ON DELETE RESTRICT,
    area_path     ltree NOT NULL,  -- the team's
    role          team_role NOT NULL DEFAULT 'member',
    joined_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT team_member_once UNIQUE (team_id, volunteer_id)
);
CREATE INDEX team_member_volunteer ON team_member (volunteer_id);
CREATE INDEX team_member_area_path_gist ON team_member USING gist (area_path);

CREATE FUNCTION team_member_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.team_id <> OLD.team_id OR NEW.volunteer_id <> OLD.volunteer_id) THEN
        RAISE EXCEPTION 'a membership keeps its team and volunteer'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'team_member_identity_immutable';
    END IF;
    SELECT area_path INTO NEW.area_path FROM volunteer_team WHERE id = NEW.team_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER team_member_before_write BEFORE INSERT OR UPDATE ON team_member
    FOR EACH ROW EXECUTE FUNCTION team_member_before_write();

-- Activities ---------------------------------------------------------------------------
CREATE TABLE activity (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team_id     bigint NOT NULL REFERENCES volunteer_team (id) ON DELETE RESTRICT,
    area_id     bigint NOT NULL REFERENCES area (id) ON DELETE RESTRICT,
    area_path   ltree NOT NULL,
    title       text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    kind        activity_kind NOT NULL,
    place       text NOT NULL CHECK (length(btrim(place)) BETWEEN 1 AND 200),
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT activity_window CHECK (ends_at > starts_at AND ends_at - starts_at <= interval '24 hours')
);
CREATE INDEX activity_team ON activity (team_id, starts_at);
CREATE INDEX activity_starts_at ON activity (starts_at);
CREATE INDEX activity_area_path_gist ON activity USING gist (area_path);

CREATE FUNCTION activity_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    team_path ltree;
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.team_id <> OLD.team_id OR NEW.area_id <> OLD.area_id) THEN
        RAISE EXCEPTION 'an activity keeps its team and area'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'activity_identity_immutable';
    END IF;
    SELECT path INTO NEW.area_path FROM area WHERE id = NEW.area_id;
    SELECT area_path INTO team_path FROM volunteer_team WHERE id = NEW.team_id;
    IF NOT NEW.area_path <@ team_path THEN
        RAISE EXCEPTION 'an activity takes place in its team''s area or below it'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'activity_area_in_team';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER activity_before_write BEFORE INSERT OR UPDATE ON activity
    FOR EACH ROW EXECUTE FUNCTION activity_before_write();

-- Service records ---------------------------------------------------------------------
CREATE TABLE service_record (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    activity_id        bigint NOT NULL REFERENCES activity (id) ON DELETE RESTRICT,
    volunteer_id       bigint NOT NULL REFERENCES volunteer (id) ON DELETE RESTRICT,
    -- copied from the activity: scope, leaderboards and months need no join
    team_id            bigint NOT NULL,
    area_path          ltree NOT NULL,
    served_at          timestamptz NOT NULL,
    status             service_status NOT NULL DEFAULT 'signed_up',
    scheduled_minutes  int NOT NULL CHECK (scheduled_minutes > 0),
    completed_minutes  int CHECK (completed_minutes >= 0),
    -- recorded for insurance and reimbursement; never counted as service
    travel_minutes     int NOT NULL DEFAULT 0 CHECK (travel_minutes >= 0),
    recorded_at        timestamptz,
    verified_by        bigint REFERENCES resident (id) ON DELETE RESTRICT,
    verified_at        timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT service_record_once UNIQUE (activity_id, volunteer_id),
    CONSTRAINT service_record_completed_has_minutes CHECK (
        status = 'signed_up' OR completed_minutes IS NOT NULL),
    CONSTRAINT service_record_verified_has_verifier CHECK (
        (status = 'verified') = (verified_by IS NOT NULL AND verified_at IS NOT NULL))
);
CREATE INDEX service_record_volunteer ON service_record (volunteer_id, served_at);
CREATE INDEX service_record_team ON service_record (team_id);
CREATE INDEX service_record_served_at ON service_record (served_at) WHERE status = 'verified';
CREATE INDEX service_record_area_path_gist ON service_record USING gist (area_path);

CREATE FUNCTION service_record_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    act activity%ROWTYPE;
    window_minutes int;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'verified' THEN
            RAISE EXCEPTION 'service record % is verified and final', OLD.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'service_record_verified_final';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = 'verified' THEN
            RAISE EXCEPTION 'service record % is verified and final', OLD.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'service_record_verified_final';
        END IF;
        IF NEW.activity_id <> OLD.activity_id OR NEW.volunteer_id <> OLD.volunteer_id THEN
            RAISE EXCEPTION 'a service record keeps its activity and volunteer'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'service_record_identity_immutable';
        END IF;
        IF NEW.status = 'signed_up' AND OLD.status <> 'signed_up' THEN
            RAISE EXCEPTION 'service record % cannot go from % back to signed_up', OLD.id, OLD.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'service_record_transition';
        END IF;
        IF NEW.status = 'verified' AND OLD.status <> 'completed' THEN
            RAISE EXCEPTION 'service record % must be completed before it is verified', OLD.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'service_record_transition';
        END IF;
    END IF;
    SELECT * INTO act FROM activity WHERE id = NEW.activity_id;
    NEW.team_id := act.team_id;
    NEW.area_path := act.area_path;
    NEW.served_at := act.starts_at;
    window_minutes := (extract(epoch FROM act.ends_at - act.starts_at) / 60)::int;
    IF NEW.scheduled_minutes IS NULL THEN
        NEW.scheduled_minutes := window_minutes;
    END IF;
    IF NEW.scheduled_minutes > window_minutes OR coalesce(NEW.completed_minutes, 0) > window_minutes THEN
        RAISE EXCEPTION 'service minutes cannot exceed the activity''s window of % minutes (travel is not service)',
            window_minutes
            USING ERRCODE = 'check_violation', CONSTRAINT = 'service_record_within_window';
    END IF;
    IF NEW.status <> 'signed_up' AND act.starts_at > now() THEN
        RAISE EXCEPTION 'activity % has not started; service cannot be recorded yet', act.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'service_record_not_started';
    END IF;
    IF NEW.status <> 'signed_up' AND (TG_OP = 'INSERT' OR OLD.status = 'signed_up') THEN
        NEW.recorded_at := coalesce(NEW.recorded_at, now());
    END IF;
    IF NEW.status = 'verified' THEN
        NEW.verified_at := coalesce(NEW.verified_at, now());
        -- "whoever organises records, whoever records certifies": the team's leader
        IF NOT EXISTS (SELECT 1 FROM team_member m JOIN volunteer v ON v.id = m.volunteer_id
                        WHERE m.team_id = NEW.team_id AND m.role = 'leader'
                          AND v.resident_id = NEW.verified_by) THEN
            RAISE EXCEPTION 'resident % does not lead team %', NEW.verified_by, NEW.team_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'service_record_verifier_leads';
        END IF;
        IF EXISTS (SELECT 1 FROM volunteer v WHERE v.id = NEW.volunteer_id
                                               AND v.resident_id = NEW.verified_by) THEN
            RAISE EXCEPTION 'a leader does not verify their own service'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'service_record_self_verification';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
-- SECURITY DEFINER: the lookups of team leadership must see rows row-level security hides
-- from a resident principal verifying as a team leader.
ALTER FUNCTION service_record_before_write() SECURITY DEFINER SET search_path = public, pg_catalog;
CREATE TRIGGER service_record_before_write BEFORE INSERT OR UPDATE OR DELETE ON service_record
    FOR EACH ROW EXECUTE FUNCTION service_record_before_write();

-- Points -------------------------------------------------------------------------------
-- Earning rate per area; the nearest ancestor's rate applies, 10 points an hour without one.
CREATE TABLE points_rate (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    area_id          bigint NOT NULL REFERENCES area (id) ON DELETE RESTRICT
                         CONSTRAINT points_rate_area_key UNIQUE,
    area_path        ltree NOT NULL,
    points_per_hour  int NOT NULL CONSTRAINT points_rate_range CHECK (points_per_hour BETWEEN 1 AND 1000),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX points_rate_area_path_gist ON points_rate USING gist (area_path);
CREATE TRIGGER points_rate_area_path BEFORE INSERT OR UPDATE ON points_rate
    FOR EACH ROW EXECUTE FUNCTION copy_area_path();

CREATE FUNCTION points_per_hour(path ltree) RETURNS int
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
    SELECT coalesce((SELECT r.points_per_hour FROM points_rate r WHERE r.area_path @> path
                      ORDER BY nlevel(r.area_path) DESC LIMIT 1), 10)
$$;

CREATE TABLE reward (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    area_id      bigint NOT NULL REFERENCES area (id) ON DELETE RESTRICT,
    area_path    ltree NOT NULL,
    name         text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    points_cost  int NOT NULL CONSTRAINT reward_cost_positive CHECK (points_cost > 0),
    stock        int NOT NULL CONSTRAINT reward_stock_nonnegative CHECK (stock >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reward_name_key UNIQUE (area_id, name)
);
CREATE INDEX reward_area_path_gist ON reward USING gist (area_path);
CREATE TRIGGER reward_area_path BEFORE INSERT OR UPDATE ON reward
    FOR EACH ROW EXECUTE FUNCTION copy_area_path();

CREATE TABLE points_entry (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    volunteer_id       bigint NOT NULL REFERENCES volunteer (id) ON DELETE RESTRICT,
    area_path          ltree NOT NULL,  -- the volunteer's
    kind               points_entry_kind NOT NULL,
    points             bigint NOT NULL,
    balance_after      bigint NOT NULL,
    service_record_id  bigint REFERENCES service_record (id) ON DELETE RESTRICT
                           CONSTRAINT points_entry_earned_once UNIQUE,
    reward_id          bigint REFERENCES reward (id) ON DELETE RESTRICT,
    quantity           int,
    reason             text CHECK (length(btrim(reason)) BETWEEN 1 AND 500),
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT points_entry_shape CHECK (CASE kind
        WHEN 'earn' THEN points > 0 AND service_record_id IS NOT NULL AND reward_id IS NULL
        WHEN 'redeem' THEN points < 0 AND reward_id IS NOT NULL AND quantity > 0
                           AND service_record_id IS NULL
        WHEN 'adjust' THEN points <> 0 AND reason IS NOT NULL AND service_record_id IS NULL
                           AND reward_id IS NULL
        WHEN 'expire' THEN points < 0 AND service_record_id IS NULL AND reward_id IS NULL
    END)
);
CREATE INDEX points_entry_volunteer ON points_entry (volunteer_id, id);
CREATE INDEX points_entry_created_at ON points_entry (created_at);
CREATE INDEX points_entry_area_path_gist ON points_entry USING gist (area_path);

-- The balance moves with the ledger, in the same statement: the UPDATE locks the
-- volunteer's row (concurrent entries queue) and its CHECK refuses an overdraw.
CREATE FUNCTION points_entry_before_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
    UPDATE volunteer SET points_balance = points_balance + NEW.points
     WHERE id = NEW.volunteer_id
    RETURNING points_balance, area_path INTO NEW.balance_after, NEW.area_path;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no volunteer %', NEW.volunteer_id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'points_entry_volunteer_id_fkey';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER points_entry_before_insert BEFORE INSERT ON points_entry
    FOR EACH ROW EXECUTE FUNCTION points_entry_before_insert();
CREATE TRIGGER points_entry_append_only BEFORE UPDATE OR DELETE ON points_entry
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER points_entry_no_truncate BEFORE TRUNCATE ON points_entry
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Verification credits the minutes and the points, once.
CREATE FUNCTION service_record_after_verify() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
    earned bigint;
BEGIN
    UPDATE volunteer SET verified_minutes = verified_minutes + NEW.completed_minutes
     WHERE id = NEW.volunteer_id;
    earned := NEW.completed_minutes::bigint * points_per_hour(NEW.area_path) / 60;
    IF earned > 0 THEN
        -- credited when verified (now, for the service; a seed or import may backdate)
        INSERT INTO points_entry (volunteer_id, kind, points, service_record_id, created_by,
                                  created_at)
        VALUES (NEW.volunteer_id, 'earn', earned, NEW.id,
                coalesce(nullif(current_setting('gongzhi.subject', true), ''), current_user),
                NEW.verified_at);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER service_record_after_insert_verified AFTER INSERT ON service_record
    FOR EACH ROW WHEN (NEW.status = 'verified') EXECUTE FUNCTION service_record_after_verify();
CREATE TRIGGER service_record_after_verify AFTER UPDATE OF status ON service_record
    FOR EACH ROW WHEN (NEW.status = 'verified' AND OLD.status <> 'verified')
    EXECUTE FUNCTION service_record_after_verify();

-- Access --------------------------------------------------------------------------------
-- Teams led by a member of a resident principal's household (empty for other roles).
CREATE FUNCTION gongzhi_led_teams() RETURNS bigint[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
    SELECT coalesce(array_agg(DISTINCT m.team_id), '{}')
      FROM team_member m JOIN volunteer v ON v.id = m.volunteer_id
      JOIN resident r ON r.id = v.resident_id
     WHERE m.role = 'leader' AND r.household_id = gongzhi_household()
$$;

-- Volunteers a resident principal may see: its household's, and those in teams it leads.
CREATE FUNCTION gongzhi_resident_volunteers() RETURNS bigint[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
    SELECT coalesce(array_agg(DISTINCT id), '{}') FROM (
        SELECT v.id FROM volunteer v JOIN resident r ON r.id = v.resident_id
         WHERE r.household_id = gongzhi_household()
        UNION ALL
        SELECT m.volunteer_id FROM team_member m WHERE m.team_id = ANY(gongzhi_led_teams())
    ) s
$$;

ALTER TABLE volunteer ENABLE ROW LEVEL SECURITY;
CREATE POLICY volunteer_read ON volunteer FOR SELECT USING (
    gongzhi_reads(area_path)
    OR (gongzhi_household() IS NOT NULL AND id IN (SELECT unnest(gongzhi_resident_volunteers()))));
CREATE POLICY volunteer_insert ON volunteer FOR INSERT WITH CHECK (gongzhi_writes(area_path));
CREATE POLICY volunteer_update ON volunteer FOR UPDATE
    USING (gongzhi_writes(area_path)) WITH CHECK (gongzhi_writes(area_path));

ALTER TABLE volunteer_team ENABLE ROW LEVEL SECURITY;
CREATE POLICY volunteer_team_read ON volunteer_team FOR SELECT USING (
    gongzhi_reads(area_path)
    OR (gongzhi_household() IS NOT NULL AND id IN (SELECT unnest(gongzhi_led_teams()))));
CREATE POLICY volunteer_team_insert ON volunteer_team FOR INSERT WITH CHECK (gongzhi_writes(area_path));

ALTER TABLE team_member ENABLE ROW LEVEL SECURITY;
CREATE POLICY team_member_read ON team_member FOR SELECT USING (
    gongzhi_reads(area_path)
    OR (gongzhi_household() IS NOT NULL AND team_id IN (SELECT unnest(gongzhi_led_teams()))));
CREATE POLICY team_member_insert ON team_member FOR INSERT WITH CHECK (gongzhi_writes(area_path));
CREATE POLICY team_member_update ON team_member FOR UPDATE
    USING (gongzhi_writes(area_path)) WITH CHECK (gongzhi_writes(area_path));
CREATE POLICY team_member_delete ON team_member FOR DELETE USING (gongzhi_writes(area_path));

ALTER TABLE activity ENABLE ROW LEVEL SECURITY;
CREATE POLICY activity_read ON activity FOR SELECT USING (
    gongzhi_reads(area_path)
    OR (gongzhi_household() IS NOT NULL AND team_id IN (SELECT unnest(gongzhi_led_teams()))));
CREATE POLICY activity_insert ON activity FOR INSERT WITH CHECK (gongzhi_writes(area_path));

ALTER TABLE service_record ENABLE ROW LEVEL SECURITY;
CREATE POLICY service_record_read ON service_record FOR SELECT USING (
    gongzhi_reads(area_path)
    OR (gongzhi_household() IS NOT NULL AND (team_id IN (SELECT unnest(gongzhi_led_teams()))
        OR volunteer_id IN (SELECT unnest(gongzhi_resident_volunteers())))));
CREATE POLICY service_record_insert ON service_record FOR INSERT WITH CHECK (gongzhi_writes(area_path));
-- a resident principal verifies the records of a team its household member leads, naming
-- that member (the trigger checks the member leads the team)
CREATE POLICY service_record_update ON service_record FOR UPDATE
    USING (gongzhi_writes(area_path)
           OR (gongzhi_household() IS NOT NULL AND team_id IN (SELECT unnest(gongzhi_led_teams()))))
    WITH CHECK (gongzhi_writes(area_path)
           OR (gongzhi_household() IS NOT NULL AND team_id IN (SELECT unnest(gongzhi_led_teams()))
               AND verified_by IN (SELECT r.id FROM resident r
                                    WHERE r.household_id = gongzhi_household())));

ALTER TABLE points_rate ENABLE ROW LEVEL SECURITY;
CREATE POLICY points_rate_read ON points_rate FOR SELECT USING (gongzhi_reads(area_path));
CREATE POLICY points_rate_insert ON points_rate FOR INSERT WITH CHECK (gongzhi_writes(area_path));
CREATE POLICY points_rate_update ON points_rate FOR UPDATE
    USING (gongzhi_writes(area_path)) WITH CHECK (gongzhi_writes(area_path));

ALTER TABLE reward ENABLE ROW LEVEL SECURITY;
CREATE POLICY reward_read ON reward FOR SELECT USING (gongzhi_reads(area_path));
CREATE POLICY reward_insert ON reward FOR INSERT WITH CHECK (gongzhi_writes(area_path));
CREATE POLICY reward_update ON reward FOR UPDATE
    USING (gongzhi_writes(area_path)) WITH CHECK (gongzhi_writes(area_path));

ALTER TABLE points_entry ENABLE ROW LEVEL SECURITY;
CREATE POLICY points_entry_read ON points_entry FOR SELECT USING (
    gongzhi_reads(area_path)
    OR (gongzhi_household() IS NOT NULL AND volunteer_id IN (SELECT unnest(gongzhi_resident_volunteers()))));
CREATE POLICY points_entry_insert ON points_entry FOR INSERT WITH CHECK (gongzhi_writes(area_path));

CREATE TRIGGER volunteer_audit AFTER INSERT OR UPDATE OR DELETE ON volunteer
    FOR EACH ROW EXECUTE FUNCTION audit_capture();
CREATE TRIGGER volunteer_team_audit AFTER INSERT OR UPDATE OR DELETE ON volunteer_team
    FOR EACH ROW EXECUTE FUNCTION audit_capture();
CREATE TRIGGER team_member_audit AFTER INSERT OR UPDATE OR DELETE ON team_member
    FOR EACH ROW EXECUTE FUNCTION audit_capture();
CREATE TRIGGER activity_audit AFTER INSERT OR UPDATE OR DELETE ON activity
    FOR EACH ROW EXECUTE FUNCTION audit_capture();
CREATE TRIGGER service_record_audit AFTER INSERT OR UPDATE OR DELETE ON service_record
    FOR EACH ROW EXECUTE FUNCTION audit_capture();
CREATE TRIGGER points_rate_audit AFTER INSERT OR UPDATE OR DELETE ON points_rate
    FOR EACH ROW EXECUTE FUNCTION audit_capture();
CREATE TRIGGER reward_audit AFTER INSERT OR UPDATE OR DELETE ON reward
    FOR EACH ROW EXECUTE FUNCTION audit_capture();
CREATE TRIGGER points_entry_audit AFTER INSERT ON points_entry
    FOR EACH ROW EXECUTE FUNCTION audit_capture();

-- The balance and verified minutes are not in the application role's UPDATE grant: only
-- the ledger's and the verification's triggers (SECURITY DEFINER) change them.
GRANT SELECT, INSERT ON volunteer, volunteer_team, team_member, activity, service_record,
    points_rate, reward TO gongzhi_app;
-- created_at is not the service's to choose (backdating would dodge expiry); the owner's
-- imports and the demo seed may set it
GRANT SELECT ON points_entry TO gongzhi_app;
GRANT INSERT (volunteer_id, kind, points, service_record_id, reward_id, quantity, reason,
    created_by) ON points_entry TO gongzhi_app;
GRANT UPDATE (insured_until) ON volunteer TO gongzhi_app;
GRANT UPDATE (role) ON team_member TO gongzhi_app;
GRANT DELETE ON team_member TO gongzhi_app;
GRANT UPDATE (status, completed_minutes, travel_minutes, recorded_at, verified_by, verified_at)
    ON service_record TO gongzhi_app;
GRANT UPDATE (points_per_hour, updated_at) ON points_rate TO gongzhi_app;
GRANT UPDATE (stock) ON reward TO gongzhi_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO gongzhi_app;
"""

DOWNGRADE = r"""
DROP TABLE points_entry;
DROP TABLE reward;
DROP TABLE points_rate;
DROP TABLE service_record;
DROP TABLE activity;
DROP TABLE team_member;
DROP TABLE volunteer_team;
DROP TABLE volunteer;
DROP FUNCTION gongzhi_resident_volunteers, gongzhi_led_teams, service_record_after_verify,
    points_entry_before_insert, points_per_hour, service_record_before_write,
    activity_before_write, team_member_before_write, copy_area_path, volunteer_before_write,
    volunteer_star_progress, volunteer_next_star_minutes, volunteer_stars,
    volunteer_star_thresholds;
DROP TYPE points_entry_kind, service_status, activity_kind, team_role, volunteer_team_kind;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
