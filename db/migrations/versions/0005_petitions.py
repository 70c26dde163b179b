"""Petitions (居民诉求): catalogue, triage (三事分流), lifecycle, events, cases, working days.

The lifecycle is a table of allowed transitions (``petition_transition``) that a trigger
checks on every status change, whoever writes; every change of a petition writes one
append-only ``petition_event`` (the trigger does it, so no writer can forget), and every
event is announced with ``pg_notify('petition_event', ...)`` for subscriptions.

Service principals (``gongzhi.role`` set) always start a petition as ``received``;
operators writing as the owner (the demo seed, an import of historical records) may insert
a petition in any state the checks allow, with the history they bring. Updates follow
the state machine for everyone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from db.migrations.sql import execute_script

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


UPGRADE = r"""
CREATE TYPE petition_channel AS ENUM
    ('walk_in', 'phone', 'wechat', 'service_day', 'grid_visit', 'open_air_meeting', 'online');
-- 三事分流: 大事 (government departments), 小事 (residents' committee with self-governance
-- and social organisations), 私事 (the resident's own: self, mutual help, the market)
CREATE TYPE triage_class AS ENUM ('major', 'minor', 'private');
CREATE TYPE petition_status AS ENUM
    ('received', 'triaged', 'assigned', 'in_progress', 'resolved', 'feedback', 'closed',
     'duplicate', 'referred', 'rejected');
CREATE TYPE responsible_kind AS ENUM
    ('department', 'residents_committee', 'social_organisation', 'resident');
CREATE TYPE satisfaction_level AS ENUM ('satisfied', 'basically_satisfied', 'dissatisfied');
CREATE TYPE event_visibility AS ENUM ('public', 'internal');
CREATE TYPE petition_event_kind AS ENUM
    ('submitted', 'triaged', 'retriaged', 'assigned', 'reassigned', 'in_progress', 'resolved',
     'feedback', 'closed', 'duplicate', 'referred', 'rejected', 'reopened', 'comment',
     'case_linked', 'case_unlinked', 'updated');

-- The principal's department (department officers only), from the token's claim.
CREATE FUNCTION gongzhi_department() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN gongzhi_role() = 'department_officer'
                THEN nullif(current_setting('gongzhi.department', true), '') END
$$;

-- The village/community (5th level of the area path) of a resident principal's household:
-- where the public petitions a resident may read are.
CREATE FUNCTION gongzhi_resident_village() RETURNS ltree
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT subpath(h.area_path, 0, 5) FROM household h WHERE h.id = gongzhi_household()
$$;

-- Working days: Monday to Friday, except public holidays, plus make-up working days (调休)
CREATE TABLE holiday (
    day   date PRIMARY KEY,
    kind  text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name  text NOT NULL
);

CREATE FUNCTION is_working_day(d date) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((SELECT h.kind = 'workday' FROM holiday h WHERE h.day = d),
                    extract(isodow FROM d) < 6)
$$;

-- The n-th working day after ``start`` (a petition received on Friday with a 1-day SLA is
-- due on Monday, or on the next working day after a holiday).
CREATE FUNCTION add_working_days(start date, n int) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT g.d::date
      FROM generate_series((start + 1)::timestamp, (start + n * 2 + 30)::timestamp, interval '1 day') AS g(d)
      LEFT JOIN holiday h ON h.day = g.d::date
     WHERE coalesce(h.kind = 'workday', extract(isodow FROM g.d) < 6)
     ORDER BY g.d OFFSET greatest(n, 1) - 1 LIMIT 1
$$;

-- Receiving offices' local calendar: a petition's day and month are Beijing time's.
CREATE FUNCTION petition_local_date(at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (at AT TIME ZONE 'Asia/Shanghai')::date
$$;

INSERT INTO holiday (day, kind, name) VALUES
    -- 2025 (国办发明电〔2024〕12号)
    ('2025-01-01', 'holiday', '元旦'),
    ('2025-01-26', 'workday', '春节调休'),
    ('2025-01-28', 'holiday', '春节'), ('2025-01-29', 'holiday', '春节'),
    ('2025-01-30', 'holiday', '春节'), ('2025-01-31', 'holiday', '春节'),
    ('2025-02-01', 'holiday', '春节'), ('2025-02-02', 'holiday', '春节'),
    ('2025-02-03', 'holiday', '春节'), ('2025-02-04', 'holiday', '春节'),
    ('2025-02-08', 'workday', '春节调休'),
    ('2025-04-04', 'holiday', '清明节'), ('2025-04-05', 'holiday', '清明节'),
    ('2025-04-06', 'holiday', '清明节'),
    ('2025-04-27', 'workday', '劳动节调休'),
    ('2025-05-01', 'holiday', '劳动节'), ('2025-05-02', 'holiday', '劳动节'),
    ('2025-05-03', 'holiday', '劳动节'), ('2025-05-04', 'holiday', '劳动节'),
    ('2025-05-05', 'holiday', '劳动节'),
    ('2025-05-31', 'holiday', '端午节'), ('2025-06-01', 'holiday', '端午节'),
    ('2025-06-02', 'holiday', '端午节'),
    ('2025-09-28', 'workday', '国庆节调休'),
    ('2025-10-01', 'holiday', '国庆节、中秋节'), ('2025-10-02', 'holiday', '国庆节、中秋节'),
    ('2025-10-03', 'holiday', '国庆节、中秋节'), ('2025-10-04', 'holiday', '国庆节、中秋节'),
    ('2025-10-05', 'holiday', '国庆节、中秋节'), ('2025-10-06', 'holiday', '国庆节、中秋节'),
    ('2025-10-07', 'holiday', '国庆节、中秋节'), ('2025-10-08', 'holiday', '国庆节、中秋节'),
    ('2025-10-11', 'workday', '国庆节调休'),
    -- 2026 (国务院办公厅关于2026年部分节假日安排的通知)
    ('2026-01-01', 'holiday', '元旦'), ('2026-01-02', 'holiday', '元旦'),
    ('2026-01-03', 'holiday', '元旦'),
    ('2026-01-04', 'workday', '元旦调休'),
    ('2026-02-14', 'workday', '春节调休'),
    ('2026-02-15', 'holiday', '春节'), ('2026-02-16', 'holiday', '春节'),
    ('2026-02-17', 'holiday', '春节'), ('2026-02-18', 'holiday', '春节'),
    ('2026-02-19', 'holiday', '春节'), ('2026-02-20', 'holiday', '春节'),
    ('2026-02-21', 'holiday', '春节'), ('2026-02-22', 'holiday', '春节'),
    ('2026-02-23', 'holiday', '春节'),
    ('2026-02-28', 'workday', '春节调休'),
    ('2026-04-04', 'holiday', '清明节'), ('2026-04-05', 'holiday', '清明节'),
    ('2026-04-06', 'holiday', '清明节'),
    ('2026-05-01', 'holiday', '劳动节'), ('2026-05-02', 'holiday', '劳动节'),
    ('2026-05-03', 'holiday', '劳动节'), ('2026-05-04', 'holiday', '劳动节'),
    ('2026-05-05', 'holiday', '劳动节'),
    ('2026-05-09', 'workday', '劳动节调休'),
    ('2026-06-19', 'holiday', '端午节'), ('2026-06-20', 'holiday', '端午节'),
    ('2026-06-21', 'holiday', '端午节'),
    ('2026-09-20', 'workday', '国庆节调休'),
    ('2026-09-25', 'holiday', '中秋节'), ('2026-09-26', 'holiday', '中秋节'),
    ('2026-09-27', 'holiday', '中秋节'),
    ('2026-10-01', 'holiday', '国庆节'), ('2026-10-02', 'holiday', '国庆节'),
    ('2026-10-03', 'holiday', '国庆节'), ('2026-10-04', 'holiday', '国庆节'),
    ('2026-10-05', 'holiday', '国庆节'), ('2026-10-06', 'holiday', '国庆节'),
    ('2026-10-07', 'holiday', '国庆节'),
    ('2026-10-10', 'workday', '国庆节调休');

-- Responsible bodies for major matters: government departments (a department officer's
-- token names one of these codes).
CREATE TABLE department (
    code  text PRIMARY KEY CHECK (code ~ '^[a-z][a-z_]{1,40}$'),
    name  text NOT NULL
);
INSERT INTO department (code, name) VALUES
    ('civil_affairs', '民政局'),
    ('housing', '住房和城乡建设局'),
    ('urban_management', '城市管理局'),
    ('ecology_environment', '生态环境局'),
    ('public_security', '公安分局'),
    ('water', '水务局'),
    ('power_supply', '供电公司'),
    ('gas_supply', '燃气公司'),
    ('market_regulation', '市场监督管理局'),
    ('health', '卫生健康局'),
    ('human_resources', '人力资源和社会保障局'),
    ('education', '教育局'),
    ('transport', '交通运输局'),
    ('natural_resources', '规划和自然资源局');

CREATE TABLE petition_category (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code            text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z_]{1,40}$'),
    name            text NOT NULL,
    default_triage  triage_class NOT NULL,
    -- working days from receipt to the due date
    sla_days        int NOT NULL CHECK (sla_days BETWEEN 1 AND 60),
    default_department text REFERENCES department (code)
);
INSERT INTO petition_category (code, name, default_triage, sla_days, default_department) VALUES
    ('environment', '环境卫生', 'minor', 5, NULL),
    ('pollution', '环境污染', 'major', 10, 'ecology_environment'),
    ('public_security', '社会治安', 'major', 5, 'public_security'),
    ('water_power_gas', '水电气', 'major', 3, 'water'),
    ('roads', '道路设施', 'major', 15, 'transport'),
    ('neighbour_dispute', '邻里纠纷', 'minor', 5, NULL),
    ('property_management', '物业管理', 'minor', 7, NULL),
    ('elderly_care', '养老服务', 'minor', 7, NULL),
    ('social_assistance', '社会救助', 'major', 15, 'civil_affairs'),
    ('building_leak', '房屋渗漏', 'minor', 15, NULL),
    ('home_repair', '自家房屋维修', 'private', 10, NULL),
    ('noise', '噪音扰民', 'minor', 5, NULL),
    ('greening', '绿化管护', 'minor', 10, NULL),
    ('pets', '宠物饲养', 'private', 5, NULL),
    ('employment', '就业创业', 'major', 10, 'human_resources'),
    ('healthcare', '医疗卫生', 'major', 10, 'health'),
    ('education', '教育入学', 'major', 10, 'education'),
    ('family_matters', '家庭事务', 'private', 5, NULL),
    ('illegal_construction', '违章搭建', 'major', 15, 'urban_management'),
    ('other', '其他', 'minor', 10, NULL);

-- Cases: one shared problem (roof leaks across many households) handled together.
CREATE TABLE petition_case (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    area_id     bigint NOT NULL REFERENCES area (id),
    area_path   ltree NOT NULL,
    title       text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    description text CHECK (length(description) <= 4000),
    created_by  text NOT NULL,
    version     int NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX petition_case_area_path_gist ON petition_case USING gist (area_path);

-- Attachment URLs: at most 20, each http(s) without spaces.
CREATE FUNCTION petition_urls_valid(urls text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT cardinality(urls) <= 20
       AND NOT EXISTS (SELECT 1 FROM unnest(urls) u
                        WHERE u IS NULL OR u !~ '^https?://\S+$' OR length(u) > 2000)
$$;

CREATE TABLE petition (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    area_id             bigint NOT NULL REFERENCES area (id),
    area_path           ltree NOT NULL,
    category_id         bigint NOT NULL REFERENCES petition_category (id),
    channel             petition_channel NOT NULL,
    status              petition_status NOT NULL DEFAULT 'received',
    triage              triage_class,
    triage_reason       text CHECK (length(triage_reason) <= 2000),
    triaged_by          text,
    triaged_at          timestamptz,
    -- NULL: anonymous
    submitter_id        bigint REFERENCES resident (id),
    household_id        bigint REFERENCES household (id),
    description         text NOT NULL CHECK (length(btrim(description)) BETWEEN 1 AND 4000),
    attachment_urls     text[] NOT NULL DEFAULT '{}',
    -- readable by the residents of its village/community, with its public events only
    is_public           boolean NOT NULL DEFAULT false,
    assignee_kind       responsible_kind,
    assignee_department text REFERENCES department (code),
    assignee_name       text CHECK (length(assignee_name) <= 200),
    assigned_at         timestamptz,
    due_date            date NOT NULL,
    duplicate_of        bigint REFERENCES petition (id),
    case_id             bigint REFERENCES petition_case (id),
    referred_to         text CHECK (length(referred_to) <= 200),
    reject_reason       text CHECK (length(reject_reason) <= 2000),
    satisfaction        satisfaction_level,
    received_at         timestamptz NOT NULL DEFAULT now(),
    resolved_at         timestamptz,
    -- left the open states (resolved, duplicate, referred, rejected); NULL again on reopen
    ended_at            timestamptz,
    feedback_at         timestamptz,
    closed_at           timestamptz,
    reopened            int NOT NULL DEFAULT 0,
    version             int NOT NULL DEFAULT 1,
    -- the principal (token subject) that submitted it, and its idempotency key
    submitted_by        text NOT NULL,
    idempotency_key     text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    request_hash        text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT petition_idempotency UNIQUE (submitted_by, idempotency_key),
    CONSTRAINT petition_attachments CHECK (petition_urls_valid(attachment_urls)),
    CONSTRAINT petition_reject_reason CHECK (
        status <> 'rejected' OR length(btrim(coalesce(reject_reason, ''))) > 0),
    CONSTRAINT petition_referred_to CHECK (
        status <> 'referred' OR length(btrim(coalesce(referred_to, ''))) > 0),
    CONSTRAINT petition_duplicate_link CHECK ((status = 'duplicate') = (duplicate_of IS NOT NULL)),
    CONSTRAINT petition_not_own_duplicate CHECK (duplicate_of <> id),
    CONSTRAINT petition_triaged CHECK (
        status IN ('received', 'duplicate', 'rejected', 'referred') OR triage IS NOT NULL),
    CONSTRAINT petition_triage_reason CHECK (
        triage IS NULL OR (length(btrim(coalesce(triage_reason, ''))) > 0 AND triaged_by IS NOT NULL)),
    CONSTRAINT petition_assigned CHECK (
        status NOT IN ('assigned', 'in_progress', 'resolved', 'feedback', 'closed')
        OR assignee_kind IS NOT NULL),
    CONSTRAINT petition_assignee_department CHECK (
        (assignee_kind = 'department') = (assignee_department IS NOT NULL)
        OR (assignee_kind IS NULL AND assignee_department IS NULL)),
    CONSTRAINT petition_feedback CHECK (status <> 'feedback' OR satisfaction IS NOT NULL),
    CONSTRAINT petition_satisfaction_state CHECK (
        satisfaction IS NULL OR status IN ('feedback', 'closed')),
    CONSTRAINT petition_anonymous_household CHECK (submitter_id IS NULL OR household_id IS NOT NULL)
);
CREATE INDEX petition_area_path_gist ON petition USING gist (area_path);
CREATE INDEX petition_submitter ON petition (submitter_id, received_at);
CREATE INDEX petition_household ON petition (household_id, received_at);
CREATE INDEX petition_received ON petition (received_at);
CREATE INDEX petition_assignee_department ON petition (assignee_department)
    WHERE assignee_department IS NOT NULL;
CREATE INDEX petition_case_id ON petition (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX petition_duplicate_of ON petition (duplicate_of) WHERE duplicate_of IS NOT NULL;

-- Open: still to be handled (counted as "open" in monthly figures).
CREATE FUNCTION petition_is_open(status petition_status) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT status IN ('received', 'triaged', 'assigned', 'in_progress')
$$;

-- Overdue: not handled by its due date (still open after it, or ended later than it).
CREATE FUNCTION petition_overdue(due date, ended timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(petition_local_date(ended), petition_local_date(now())) > due
$$;

-- Fields internal to the offices (why and by whom it was triaged): hidden from residents.
CREATE FUNCTION petition_internal(value text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN gongzhi_role() = 'resident' THEN NULL ELSE value END
$$;

-- The state machine: which status may follow which, and which roles may move it. A role
-- outside the list is refused; operators (no gongzhi.role) may make any listed move.
CREATE TABLE petition_transition (
    from_status  petition_status NOT NULL,
    to_status    petition_status NOT NULL,
    roles        text[] NOT NULL,
    PRIMARY KEY (from_status, to_status)
);
INSERT INTO petition_transition (from_status, to_status, roles)
SELECT f::petition_status, t::petition_status, r::text[] FROM (VALUES
    ('received', 'triaged', '{admin,officer,community_worker,grid_worker}'),
    ('received', 'duplicate', '{admin,officer,community_worker,grid_worker}'),
    ('received', 'rejected', '{admin,officer,community_worker,grid_worker}'),
    ('received', 'referred', '{admin,officer,community_worker,grid_worker}'),
    ('triaged', 'assigned', '{admin,officer,community_worker,grid_worker}'),
    ('triaged', 'duplicate', '{admin,officer,community_worker,grid_worker}'),
    ('triaged', 'rejected', '{admin,officer,community_worker,grid_worker}'),
    ('triaged', 'referred', '{admin,officer,community_worker,grid_worker}'),
    ('assigned', 'triaged', '{admin,officer,community_worker,grid_worker}'),
    ('assigned', 'in_progress', '{admin,officer,community_worker,grid_worker,department_officer}'),
    ('assigned', 'resolved', '{admin,officer,community_worker,grid_worker,department_officer}'),
    ('assigned', 'referred', '{admin,officer,community_worker,grid_worker,department_officer}'),
    ('assigned', 'duplicate', '{admin,officer,community_worker,grid_worker}'),
    ('in_progress', 'triaged', '{admin,officer,community_worker,grid_worker}'),
    ('in_progress', 'resolved', '{admin,officer,community_worker,grid_worker,department_officer}'),
    ('in_progress', 'referred', '{admin,officer,community_worker,grid_worker,department_officer}'),
    ('resolved', 'feedback', '{resident}'),
    ('resolved', 'closed', '{admin,officer,community_worker,grid_worker}'),
    ('feedback', 'closed', '{admin,officer,community_worker,grid_worker}'),
    ('feedback', 'in_progress', '{admin,officer,community_worker,grid_worker,resident}')
) AS v(f, t, r);

CREATE FUNCTION petition_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a record;
    sla int;
    hh bigint;
BEGIN
    SELECT path, level, code INTO a FROM area WHERE id = NEW.area_id;
    IF a.level NOT IN ('village', 'compound', 'building') THEN
        RAISE EXCEPTION 'a petition concerns a village/community, compound or building, not % %',
            a.level, a.code USING ERRCODE = 'check_violation', CONSTRAINT = 'petition_area_level';
    END IF;
    NEW.area_path := a.path;
    IF NEW.submitter_id IS NOT NULL THEN
        SELECT household_id INTO hh FROM resident WHERE id = NEW.submitter_id;
        IF NEW.household_id IS NULL THEN
            NEW.household_id := hh;
        ELSIF NEW.household_id IS DISTINCT FROM hh THEN
            RAISE EXCEPTION 'resident % is not a member of household %', NEW.submitter_id,
                NEW.household_id USING ERRCODE = 'check_violation',
                CONSTRAINT = 'petition_submitter_household';
        END IF;
    END IF;
    IF gongzhi_role() IS NOT NULL THEN
        -- a service principal submits: it starts as received, now, in its own name
        IF NEW.status <> 'received' THEN
            RAISE EXCEPTION 'a petition starts as received, not %', NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'petition_transition';
        END IF;
        NEW.received_at := now();
        NEW.due_date := NULL;
        NEW.version := 1;
        NEW.submitted_by := current_setting('gongzhi.subject');
        NEW.triage := NULL; NEW.triage_reason := NULL; NEW.triaged_by := NULL;
        NEW.assignee_kind := NULL; NEW.assignee_department := NULL; NEW.assignee_name := NULL;
        NEW.satisfaction := NULL; NEW.resolved_at := NULL; NEW.ended_at := NULL;
        NEW.closed_at := NULL; NEW.feedback_at := NULL; NEW.case_id := NULL;
    END IF;
    IF NEW.due_date IS NULL THEN
        SELECT sla_days INTO sla FROM petition_category WHERE id = NEW.category_id;
        NEW.due_date := add_working_days(petition_local_date(NEW.received_at), sla);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER petition_before_insert BEFORE INSERT ON petition
    FOR EACH ROW EXECUTE FUNCTION petition_before_insert();

CREATE FUNCTION petition_before_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    allowed text[];
    role text := gongzhi_role();
    original record;
BEGIN
    IF NEW.id <> OLD.id OR NEW.area_id <> OLD.area_id OR NEW.area_path <> OLD.area_path
       OR NEW.received_at <> OLD.received_at OR NEW.submitted_by <> OLD.submitted_by
       OR NEW.idempotency_key IS DISTINCT FROM OLD.idempotency_key
       OR NEW.request_hash IS DISTINCT FROM OLD.request_hash OR NEW.channel <> OLD.channel
       OR NEW.submitter_id IS DISTINCT FROM OLD.submitter_id
       OR NEW.household_id IS DISTINCT FROM OLD.household_id
       OR NEW.due_date <> OLD.due_date OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'petition %: area, submitter, channel, receipt and due date never change',
            OLD.id USING ERRCODE = 'check_violation', CONSTRAINT = 'petition_immutable';
    END IF;
    IF NEW.status <> OLD.status THEN
        SELECT roles INTO allowed FROM petition_transition
         WHERE from_status = OLD.status AND to_status = NEW.status;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'petition % cannot go from % to %', OLD.id, OLD.status, NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'petition_transition';
        END IF;
        IF role IS NOT NULL AND NOT role = ANY (allowed) THEN
            RAISE EXCEPTION 'a % may not move a petition from % to %', role, OLD.status, NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'petition_transition_role';
        END IF;
        IF OLD.status = 'resolved' AND NEW.status = 'closed' AND OLD.household_id IS NOT NULL THEN
            RAISE EXCEPTION 'petition % has a submitter: it closes after their feedback', OLD.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'petition_feedback_first';
        END IF;
        IF NEW.status = 'feedback' AND (role IS DISTINCT FROM 'resident' AND role IS NOT NULL) THEN
            RAISE EXCEPTION 'only the submitter gives feedback'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'petition_transition_role';
        END IF;
        IF OLD.status = 'feedback' AND NEW.status = 'in_progress' THEN
            IF OLD.satisfaction IS DISTINCT FROM 'dissatisfied' THEN
                RAISE EXCEPTION 'petition % is reopened only when the resident is dissatisfied', OLD.id
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'petition_reopen_dissatisfied';
            END IF;
            NEW.satisfaction := NULL;
            NEW.feedback_at := NULL;
            NEW.resolved_at := NULL;
            NEW.ended_at := NULL;
            NEW.reopened := OLD.reopened + 1;
        END IF;
        CASE NEW.status
            WHEN 'triaged' THEN
                -- re-triage from assigned/in progress starts the assignment over
                NEW.assignee_kind := NULL; NEW.assignee_department := NULL;
                NEW.assignee_name := NULL; NEW.assigned_at := NULL;
            WHEN 'assigned' THEN
                NEW.assigned_at := now();
            WHEN 'resolved' THEN
                NEW.resolved_at := now(); NEW.ended_at := now();
            WHEN 'feedback' THEN
                NEW.feedback_at := now();
            WHEN 'closed' THEN
                NEW.closed_at := now(); NEW.ended_at := coalesce(OLD.ended_at, now());
            WHEN 'duplicate', 'referred', 'rejected' THEN
                NEW.ended_at := now();
            ELSE
                NULL;
        END CASE;
        IF NEW.status = 'duplicate' THEN
            SELECT id, status INTO original FROM petition WHERE id = NEW.duplicate_of;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'no petition % to be a duplicate of', NEW.duplicate_of
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'petition_duplicate_original';
            END IF;
            IF original.status = 'duplicate' THEN
                RAISE EXCEPTION 'petition % is itself a duplicate: link to its original', original.id
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'petition_duplicate_original';
            END IF;
        END IF;
    ELSE
        IF role IN ('resident', 'department_officer') THEN
            RAISE EXCEPTION 'a % changes a petition only by moving it on', role
                USING ERRCODE = 'check_violation', CONSTRAINT = 'petition_transition_role';
        END IF;
        IF NEW.duplicate_of IS DISTINCT FROM OLD.duplicate_of
           OR NEW.referred_to IS DISTINCT FROM OLD.referred_to
           OR NEW.reject_reason IS DISTINCT FROM OLD.reject_reason
           OR NEW.satisfaction IS DISTINCT FROM OLD.satisfaction THEN
            RAISE EXCEPTION 'petition %: outcome fields change only with the status', OLD.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'petition_transition';
        END IF;
        IF NEW.triage IS DISTINCT FROM OLD.triage AND NEW.status <> 'triaged' THEN
            RAISE EXCEPTION 'petition % is %: re-triage it back to triaged', OLD.id, OLD.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'petition_transition';
        END IF;
        IF (NEW.assignee_kind IS DISTINCT FROM OLD.assignee_kind
            OR NEW.assignee_department IS DISTINCT FROM OLD.assignee_department
            OR NEW.assignee_name IS DISTINCT FROM OLD.assignee_name)
           AND NEW.status NOT IN ('assigned', 'in_progress') THEN
            RAISE EXCEPTION 'petition % is %: it is assigned from triaged', OLD.id, OLD.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'petition_transition';
        END IF;
    END IF;
    IF NEW.triage IS DISTINCT FROM OLD.triage OR NEW.triage_reason IS DISTINCT FROM OLD.triage_reason THEN
        NEW.triaged_at := now();
    END IF;
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER petition_before_update BEFORE UPDATE ON petition
    FOR EACH ROW EXECUTE FUNCTION petition_before_update();

-- Co-signing residents of a shared request.
CREATE TABLE petition_cosigner (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    petition_id  bigint NOT NULL REFERENCES petition (id) ON DELETE CASCADE,
    resident_id  bigint NOT NULL REFERENCES resident (id),
    area_path    ltree NOT NULL,
    added_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT petition_cosigner_once UNIQUE (petition_id, resident_id)
);
CREATE INDEX petition_cosigner_resident ON petition_cosigner (resident_id);
CREATE INDEX petition_cosigner_area_path_gist ON petition_cosigner USING gist (area_path);

CREATE FUNCTION petition_child_area_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT area_path INTO NEW.area_path FROM petition WHERE id = NEW.petition_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER petition_cosigner_area_path BEFORE INSERT OR UPDATE ON petition_cosigner
    FOR EACH ROW EXECUTE FUNCTION petition_child_area_path();

-- The history: append-only, one row per change.
CREATE TABLE petition_event (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    petition_id  bigint NOT NULL REFERENCES petition (id) ON DELETE CASCADE,
    area_path    ltree NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    kind         petition_event_kind NOT NULL,
    from_status  petition_status,
    to_status    petition_status NOT NULL,
    note         text CHECK (length(note) <= 4000),
    visibility   event_visibility NOT NULL,
    actor        text NOT NULL,
    actor_role   text NOT NULL,
    data         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX petition_event_petition ON petition_event (petition_id, at, id);
-- no GiST index on area_path: events are reached through their petition (or by id), and
-- the copy of the path serves row-level security and NOTIFY payloads only

CREATE FUNCTION petition_event_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- an operator's import may bring the path (the demo seed does: one lookup fewer per row)
    IF NEW.area_path IS NULL OR gongzhi_role() IS NOT NULL THEN
        SELECT area_path INTO NEW.area_path FROM petition WHERE id = NEW.petition_id;
    END IF;
    IF gongzhi_role() IS NOT NULL THEN
        -- the service writes history as it happens, in the principal's name
        NEW.at := now();
        NEW.actor := current_setting('gongzhi.subject');
        NEW.actor_role := gongzhi_role();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER petition_event_before_insert BEFORE INSERT ON petition_event
    FOR EACH ROW EXECUTE FUNCTION petition_event_before_insert();

-- Append-only; a petition deleted by an operator (the service cannot) takes its history.
CREATE FUNCTION petition_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM petition WHERE id = OLD.petition_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'petition_event is append-only'
        USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'petition_event_append_only';
END
$$;
CREATE TRIGGER petition_event_append_only BEFORE UPDATE OR DELETE ON petition_event
    FOR EACH ROW EXECUTE FUNCTION petition_event_refuse_change();
CREATE TRIGGER petition_event_no_truncate BEFORE TRUNCATE ON petition_event
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Subscriptions: every event is announced, with the area path subscribers filter on.
CREATE FUNCTION petition_event_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('petition_event', json_build_object(
        'petition_id', NEW.petition_id, 'event_id', NEW.id,
        'area_path', NEW.area_path::text)::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER petition_event_notify AFTER INSERT ON petition_event
    FOR EACH ROW EXECUTE FUNCTION petition_event_notify();

-- Every change of a petition is an event. The note and its visibility come from the
-- transaction (set_config('gongzhi.event_note' / 'gongzhi.event_visibility', ..., true)
-- right before the statement); the actor from the principal.
CREATE FUNCTION petition_record_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind petition_event_kind;
    visibility event_visibility;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF gongzhi_role() IS NULL THEN
            RETURN NULL;  -- operators' imports bring their own history
        END IF;
        kind := 'submitted';
    ELSIF NEW.status <> OLD.status THEN
        kind := CASE
            WHEN OLD.status = 'feedback' AND NEW.status = 'in_progress' THEN 'reopened'
            WHEN NEW.status = 'triaged' AND OLD.status <> 'received' THEN 'retriaged'
            ELSE NEW.status::text END::petition_event_kind;
    ELSIF NEW.triage IS DISTINCT FROM OLD.triage OR NEW.triage_reason IS DISTINCT FROM OLD.triage_reason THEN
        kind := 'retriaged';
    ELSIF NEW.assignee_kind IS DISTINCT FROM OLD.assignee_kind
          OR NEW.assignee_department IS DISTINCT FROM OLD.assignee_department
          OR NEW.assignee_name IS DISTINCT FROM OLD.assignee_name THEN
        kind := 'reassigned';
    ELSIF NEW.case_id IS DISTINCT FROM OLD.case_id THEN
        kind := CASE WHEN NEW.case_id IS NULL THEN 'case_unlinked' ELSE 'case_linked' END;
    ELSE
        kind := 'updated';
    END IF;
    visibility := coalesce(nullif(current_setting('gongzhi.event_visibility', true), ''),
        CASE WHEN kind IN ('retriaged', 'reassigned', 'case_linked', 'case_unlinked', 'updated')
             THEN 'internal' ELSE 'public' END)::event_visibility;
    INSERT INTO petition_event (petition_id, area_path, kind, from_status, to_status, note,
                                visibility, actor, actor_role, data)
    VALUES (NEW.id, NEW.area_path, kind,
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status,
            nullif(current_setting('gongzhi.event_note', true), ''), visibility,
            coalesce(nullif(current_setting('gongzhi.subject', true), ''), session_user::text),
            coalesce(gongzhi_role(), 'operator'),
            jsonb_strip_nulls(jsonb_build_object(
                'triage', NEW.triage, 'assignee_kind', NEW.assignee_kind,
                'assignee_department', NEW.assignee_department,
                'assignee_name', NEW.assignee_name, 'satisfaction', NEW.satisfaction,
                'duplicate_of', NEW.duplicate_of, 'referred_to', NEW.referred_to,
                'case_id', NEW.case_id)));
    -- a duplicate's submitter and co-signers sign the original
    IF TG_OP = 'UPDATE' AND NEW.status = 'duplicate' AND OLD.status <> 'duplicate' THEN
        INSERT INTO petition_cosigner (petition_id, resident_id, area_path)
        SELECT NEW.duplicate_of, r, '' FROM (
            SELECT NEW.submitter_id AS r WHERE NEW.submitter_id IS NOT NULL
            UNION SELECT c.resident_id FROM petition_cosigner c WHERE c.petition_id = NEW.id) s
         WHERE r IS DISTINCT FROM (SELECT submitter_id FROM petition WHERE id = NEW.duplicate_of)
        ON CONFLICT (petition_id, resident_id) DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER petition_record_event AFTER INSERT OR UPDATE ON petition
    FOR EACH ROW EXECUTE FUNCTION petition_record_event();

CREATE FUNCTION petition_case_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a record;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.area_id <> OLD.area_id OR NEW.created_by <> OLD.created_by THEN
            RAISE EXCEPTION 'a case keeps its area and creator'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'petition_immutable';
        END IF;
        NEW.version := OLD.version + 1;
        NEW.updated_at := now();
        NEW.area_path := OLD.area_path;
        RETURN NEW;
    END IF;
    SELECT path, level, code INTO a FROM area WHERE id = NEW.area_id;
    IF a.level NOT IN ('village', 'compound', 'building') THEN
        RAISE EXCEPTION 'a case concerns a village/community, compound or building, not % %',
            a.level, a.code USING ERRCODE = 'check_violation', CONSTRAINT = 'petition_area_level';
    END IF;
    NEW.area_path := a.path;
    IF gongzhi_role() IS NOT NULL THEN
        NEW.created_by := current_setting('gongzhi.subject');
        NEW.version := 1;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER petition_case_before_write BEFORE INSERT OR UPDATE ON petition_case
    FOR EACH ROW EXECUTE FUNCTION petition_case_before_write();

-- A petition joins a case of its own area's subtree (a village's case links its compounds').
CREATE FUNCTION petition_case_area() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.case_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM petition_case c WHERE c.id = NEW.case_id AND NEW.area_path <@ c.area_path) THEN
        RAISE EXCEPTION 'petition % lies outside the area of case %', NEW.id, NEW.case_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'petition_case_area';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER petition_case_area AFTER INSERT OR UPDATE OF case_id ON petition
    FOR EACH ROW EXECUTE FUNCTION petition_case_area();

-- Access ---------------------------------------------------------------------------------
ALTER TABLE holiday ENABLE ROW LEVEL SECURITY;
CREATE POLICY holiday_read ON holiday FOR SELECT USING (gongzhi_role() IS NOT NULL);
ALTER TABLE department ENABLE ROW LEVEL SECURITY;
CREATE POLICY department_read ON department FOR SELECT USING (gongzhi_role() IS NOT NULL);
ALTER TABLE petition_category ENABLE ROW LEVEL SECURITY;
CREATE POLICY petition_category_read ON petition_category FOR SELECT
    USING (gongzhi_role() IS NOT NULL);
ALTER TABLE petition_transition ENABLE ROW LEVEL SECURITY;
CREATE POLICY petition_transition_read ON petition_transition FOR SELECT
    USING (gongzhi_role() IS NOT NULL);

-- Petitions: the area subtree; a resident's own household's, and the public ones of their
-- village/community; a department officer's department's. gongzhi_reads() (a coalesce, so
-- not an index condition): the planner would otherwise AND the whole scope's GiST bitmap
-- into every lookup by submitter or household (a village's residents' open petitions at
-- scale 0.3: 55 ms -> 5 ms); a query's own subtree predicate still uses the index.
ALTER TABLE petition ENABLE ROW LEVEL SECURITY;
CREATE POLICY petition_read ON petition FOR SELECT USING (
    gongzhi_reads(area_path)
    OR household_id = gongzhi_household()
    OR (is_public AND area_path <@ gongzhi_resident_village())
    OR assignee_department = gongzhi_department());
CREATE POLICY petition_insert ON petition FOR INSERT WITH CHECK (
    area_path <@ gongzhi_write_scope()
    OR (household_id = gongzhi_household() AND submitter_id IS NOT NULL));
CREATE POLICY petition_update ON petition FOR UPDATE
    USING (area_path <@ gongzhi_write_scope()
           OR household_id = gongzhi_household()
           OR assignee_department = gongzhi_department())
    WITH CHECK (area_path <@ gongzhi_write_scope()
                OR household_id = gongzhi_household()
                OR assignee_department = gongzhi_department());

-- Events: those of petitions the principal sees; residents see public events only.
ALTER TABLE petition_event ENABLE ROW LEVEL SECURITY;
CREATE POLICY petition_event_read ON petition_event FOR SELECT USING (
    (gongzhi_reads(area_path)
     OR EXISTS (SELECT 1 FROM petition p WHERE p.id = petition_event.petition_id))
    AND (visibility = 'public' OR gongzhi_role() IS DISTINCT FROM 'resident'));
CREATE POLICY petition_event_insert ON petition_event FOR INSERT WITH CHECK (
    actor = current_setting('gongzhi.subject', true)
    AND EXISTS (SELECT 1 FROM petition p WHERE p.id = petition_event.petition_id));

ALTER TABLE petition_cosigner ENABLE ROW LEVEL SECURITY;
CREATE POLICY petition_cosigner_read ON petition_cosigner FOR SELECT USING (
    gongzhi_reads(area_path)
    OR EXISTS (SELECT 1 FROM petition p WHERE p.id = petition_cosigner.petition_id));
-- staff in the area; a resident signs for a member of their own household, on a petition
-- they can see
CREATE POLICY petition_cosigner_insert ON petition_cosigner FOR INSERT WITH CHECK (
    area_path <@ gongzhi_write_scope()
    OR (EXISTS (SELECT 1 FROM resident r WHERE r.id = resident_id
                   AND r.household_id = gongzhi_household())
        AND EXISTS (SELECT 1 FROM petition p WHERE p.id = petition_cosigner.petition_id)));

ALTER TABLE petition_case ENABLE ROW LEVEL SECURITY;
CREATE POLICY petition_case_read ON petition_case FOR SELECT USING (
    gongzhi_reads(area_path)
    OR EXISTS (SELECT 1 FROM petition p WHERE p.case_id = petition_case.id));
CREATE POLICY petition_case_insert ON petition_case FOR INSERT
    WITH CHECK (area_path <@ gongzhi_write_scope());
CREATE POLICY petition_case_update ON petition_case FOR UPDATE
    USING (area_path <@ gongzhi_write_scope()) WITH CHECK (area_path <@ gongzhi_write_scope());

CREATE TRIGGER petition_audit AFTER INSERT OR UPDATE OR DELETE ON petition
    FOR EACH ROW EXECUTE FUNCTION audit_capture();
CREATE TRIGGER petition_case_audit AFTER INSERT OR UPDATE OR DELETE ON petition_case
    FOR EACH ROW EXECUTE FUNCTION audit_capture();
CREATE TRIGGER petition_cosigner_audit AFTER INSERT OR UPDATE OR DELETE ON petition_cosigner
    FOR EACH ROW EXECUTE FUNCTION audit_capture();

GRANT SELECT ON holiday, department, petition_category, petition_transition TO gongzhi_app;
GRANT SELECT, INSERT, UPDATE ON petition, petition_case TO gongzhi_app;
GRANT SELECT, INSERT ON petition_cosigner, petition_event TO gongzhi_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO gongzhi_app;
"""

DOWNGRADE = r"""
DROP TABLE petition_event, petition_cosigner, petition, petition_case, petition_transition,
    petition_category, department, holiday;
DROP FUNCTION petition_record_event, petition_event_notify, petition_event_refuse_change,
    petition_event_before_insert, petition_child_area_path, petition_before_update,
    petition_before_insert, petition_case_before_write, petition_case_area, petition_internal,
    petition_overdue, petition_is_open, petition_urls_valid, petition_local_date, add_working_days, is_working_day,
    gongzhi_resident_village, gongzhi_department;
DROP TYPE petition_event_kind, event_visibility, satisfaction_level, responsible_kind,
    petition_status, triage_class, petition_channel;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
