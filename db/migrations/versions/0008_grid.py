"""Party-led grid, needs/resources/projects lists and micro-projects.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

The grid: community party committee 社区党总支 -> party group 党小组 -> building head
楼栋长 -> households. A compound's branch is formal (建制性) with 3 or more registered
party members, functional (功能性) otherwise: ``branch_type_for`` holds the threshold once
and the ``compound_branch`` view derives it, next to the type recorded in ``party_branch``.
In-service party members reporting to their home community (双报到) are recorded with
their workplace organisation. Visits of grid workers to households are history: never
rewritten (deleted only with their household).

Needs 需求清单, resources 资源清单 and the matches between them (a state machine in a
trigger that also moves the need's status), projects 项目清单 bundling needs, and
resident-run micro-projects 微项目 with participants and an outcome.

Every table carries ``area_path`` (copied by trigger from its area, household or parent
row) with a GiST index and row-level security: reads by ``gongzhi_reads(area_path)``,
writes by ``gongzhi_writes(area_path)``. Residents also read their own household's needs
and the public lists (resources, projects, micro-projects, grid nodes) of their own
community, add needs for their own household and propose micro-projects they sponsor.
"""

from db.migrations.sql import execute_script

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


UPGRADE = r"""
CREATE TYPE grid_level AS ENUM ('committee', 'party_group', 'building_head');
CREATE TYPE branch_type AS ENUM ('formal', 'functional');
CREATE TYPE need_category AS ENUM
    ('elderly_care', 'child_care', 'health', 'employment', 'housing', 'legal', 'education',
     'daily_life', 'other');
CREATE TYPE need_status AS ENUM ('open', 'matched', 'met', 'closed');
CREATE TYPE provider_kind AS ENUM ('resident', 'organisation', 'enterprise');
CREATE TYPE resource_category AS ENUM
    ('idle_goods', 'child_minding', 'elderly_companionship', 'skills', 'venue', 'funds', 'other');
CREATE TYPE match_status AS ENUM
    ('proposed', 'accepted', 'in_progress', 'completed', 'declined', 'cancelled');
CREATE TYPE project_status AS ENUM ('planned', 'active', 'done');
CREATE TYPE micro_project_status AS ENUM ('proposed', 'completed');

-- The branch rule, once: 3 or more registered party members make a formal branch.
CREATE FUNCTION branch_type_for(party_members bigint) RETURNS branch_type
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN party_members >= 3 THEN 'formal'::branch_type
                ELSE 'functional'::branch_type END
$$;

-- The village/community (5th label of an area path) a path lies in; NULL above villages.
CREATE FUNCTION community_of(path ltree) RETURNS ltree
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN nlevel(path) >= 5 THEN subpath(path, 0, 5) END
$$;

-- A resident principal's community: their household's village. Public lists of it are
-- readable by them.
CREATE FUNCTION gongzhi_resident_community() RETURNS ltree
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT community_of(h.area_path) FROM household h WHERE h.id = gongzhi_household()
$$;

CREATE FUNCTION gongzhi_reads_public(path ltree) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT gongzhi_reads(path)
        OR (gongzhi_role() = 'resident' AND coalesce(path <@ gongzhi_resident_community(), false))
$$;

CREATE FUNCTION area_row(area_id bigint) RETURNS area
LANGUAGE sql STABLE AS $$ SELECT * FROM area WHERE id = area_id $$;

CREATE FUNCTION grid_refuse(message text, constraint_name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', message USING ERRCODE = 'check_violation', CONSTRAINT = constraint_name;
END
$$;

-- Grid nodes ------------------------------------------------------------------------
CREATE TABLE grid_node (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    level       grid_level NOT NULL,
    parent_id   bigint REFERENCES grid_node (id) ON DELETE RESTRICT,
    area_id     bigint NOT NULL REFERENCES area (id) ON DELETE RESTRICT,
    area_path   ltree NOT NULL,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    leader_id   bigint REFERENCES resident (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT grid_node_root_is_committee CHECK ((parent_id IS NULL) = (level = 'committee'))
);
CREATE INDEX grid_node_area_path_gist ON grid_node USING gist (area_path);
CREATE INDEX grid_node_parent ON grid_node (parent_id);
CREATE INDEX grid_node_leader ON grid_node (leader_id);
-- one committee per community
CREATE UNIQUE INDEX grid_node_one_committee ON grid_node (area_id) WHERE level = 'committee';

CREATE FUNCTION grid_node_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a area%ROWTYPE;
    parent grid_node%ROWTYPE;
    leader resident%ROWTYPE;
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.level <> OLD.level OR NEW.area_id <> OLD.area_id
                             OR NEW.parent_id IS DISTINCT FROM OLD.parent_id) THEN
        PERFORM grid_refuse('a grid node keeps its level, area and parent', 'grid_node_identity');
    END IF;
    a := area_row(NEW.area_id);
    NEW.area_path := a.path;
    IF (NEW.level = 'committee' AND a.level <> 'village')
       OR (NEW.level = 'party_group' AND a.level NOT IN ('village', 'compound', 'building'))
       OR (NEW.level = 'building_head' AND a.level NOT IN ('compound', 'building')) THEN
        PERFORM grid_refuse(format('a %s node cannot cover a %s', NEW.level, a.level),
                            'grid_node_area_level');
    END IF;
    IF NEW.parent_id IS NOT NULL THEN
        SELECT * INTO parent FROM grid_node WHERE id = NEW.parent_id;
        IF (NEW.level = 'party_group' AND parent.level <> 'committee')
           OR (NEW.level = 'building_head' AND parent.level <> 'party_group') THEN
            PERFORM grid_refuse(format('a %s node sits under a %s, not a %s', NEW.level,
                CASE NEW.level WHEN 'party_group' THEN 'committee' ELSE 'party_group' END,
                parent.level), 'grid_node_parent_level');
        END IF;
        IF NOT NEW.area_path <@ parent.area_path THEN
            PERFORM grid_refuse('a grid node covers part of its parent''s area',
                                'grid_node_parent_area');
        END IF;
    END IF;
    IF NEW.leader_id IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.leader_id <> OLD.leader_id) THEN
        SELECT * INTO leader FROM resident WHERE id = NEW.leader_id;
        IF community_of(leader.area_path) IS DISTINCT FROM community_of(NEW.area_path) THEN
            PERFORM grid_refuse('a grid leader lives in the node''s community',
                                'grid_node_leader_area');
        END IF;
        IF NEW.level IN ('committee', 'party_group') AND NOT leader.is_party_member THEN
            PERFORM grid_refuse('a committee or party group is led by a party member',
                                'grid_node_leader_party');
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER grid_node_before_write BEFORE INSERT OR UPDATE ON grid_node
    FOR EACH ROW EXECUTE FUNCTION grid_node_before_write();

-- Households a building head serves: each household at most one head.
CREATE TABLE grid_household (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id  bigint NOT NULL UNIQUE REFERENCES household (id) ON DELETE CASCADE,
    node_id       bigint NOT NULL REFERENCES grid_node (id) ON DELETE CASCADE,
    area_path     ltree NOT NULL,
    assigned_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX grid_household_node ON grid_household (node_id);
CREATE INDEX grid_household_area_path_gist ON grid_household USING gist (area_path);

CREATE FUNCTION grid_household_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    node grid_node%ROWTYPE;
BEGIN
    SELECT * INTO node FROM grid_node WHERE id = NEW.node_id;
    SELECT area_path INTO NEW.area_path FROM household WHERE id = NEW.household_id;
    IF node.level <> 'building_head' THEN
        PERFORM grid_refuse('households are assigned to building-head nodes',
                            'grid_household_node_level');
    END IF;
    IF NOT NEW.area_path <@ node.area_path THEN
        PERFORM grid_refuse('the household lives outside the building head''s area',
                            'grid_household_area');
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER grid_household_before_write BEFORE INSERT OR UPDATE ON grid_household
    FOR EACH ROW EXECUTE FUNCTION grid_household_before_write();

-- Visits of grid workers to households: history, never rewritten.
CREATE TABLE grid_visit (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id  bigint NOT NULL REFERENCES household (id) ON DELETE CASCADE,
    worker_id     bigint NOT NULL REFERENCES resident (id) ON DELETE RESTRICT,
    area_path     ltree NOT NULL,
    visited_on    date NOT NULL,
    notes         text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    recorded_by   text NOT NULL DEFAULT coalesce(nullif(current_setting('gongzhi.subject', true), ''), current_user),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX grid_visit_household ON grid_visit (household_id, visited_on DESC);
CREATE INDEX grid_visit_worker ON grid_visit (worker_id);
CREATE INDEX grid_visit_area_path_gist ON grid_visit USING gist (area_path);

CREATE FUNCTION grid_visit_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    worker resident%ROWTYPE;
BEGIN
    SELECT area_path INTO NEW.area_path FROM household WHERE id = NEW.household_id;
    IF NEW.visited_on > current_date THEN
        PERFORM grid_refuse('a visit cannot be recorded for a future date', 'grid_visit_date');
    END IF;
    SELECT * INTO worker FROM resident WHERE id = NEW.worker_id;
    IF NOT worker.roles && ARRAY['grid_worker', 'building_head', 'courtyard_head']::resident_role[] THEN
        PERFORM grid_refuse('visits are made by grid workers, building or courtyard heads',
                            'grid_visit_worker_role');
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER grid_visit_before_insert BEFORE INSERT ON grid_visit
    FOR EACH ROW EXECUTE FUNCTION grid_visit_before_insert();
CREATE TRIGGER grid_visit_append_only BEFORE UPDATE ON grid_visit
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- The branch type recorded for a compound (the derived one is in compound_branch).
CREATE TABLE party_branch (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    area_id      bigint NOT NULL UNIQUE REFERENCES area (id) ON DELETE CASCADE,
    area_path    ltree NOT NULL,
    branch_type  branch_type NOT NULL,
    name         text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX party_branch_area_path_gist ON party_branch USING gist (area_path);

CREATE FUNCTION party_branch_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a area%ROWTYPE;
BEGIN
    a := area_row(NEW.area_id);
    IF a.level <> 'compound' THEN
        PERFORM grid_refuse(format('party branches are recorded for compounds, not a %s', a.level),
                            'party_branch_area_level');
    END IF;
    NEW.area_path := a.path;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER party_branch_before_write BEFORE INSERT OR UPDATE ON party_branch
    FOR EACH ROW EXECUTE FUNCTION party_branch_before_write();

-- Every compound with its registered party members (residents who are party members in
-- households under it), the branch type they make and the type recorded, if any.
CREATE VIEW compound_branch WITH (security_invoker = true) AS
SELECT a.id, a.id AS area_id, a.path AS area_path, m.party_members,
       branch_type_for(m.party_members) AS derived_type,
       b.branch_type AS recorded_type, b.name AS branch_name,
       coalesce(b.branch_type <> branch_type_for(m.party_members), false) AS mismatch
  FROM area a
  LEFT JOIN party_branch b ON b.area_id = a.id
  CROSS JOIN LATERAL (SELECT count(*)::int AS party_members FROM resident r
                       WHERE r.area_path <@ a.path AND r.is_party_member) m
 WHERE a.level = 'compound'
   -- as row-level security: the service's role by scope, the owner (seed, imports) all
   AND (gongzhi_reads(a.path) OR current_user <> 'gongzhi_app');

-- In-service party members reporting to their home community (双报到).
CREATE TABLE party_member_report (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resident_id         bigint NOT NULL UNIQUE REFERENCES resident (id) ON DELETE CASCADE,
    area_id             bigint NOT NULL REFERENCES area (id) ON DELETE RESTRICT,
    area_path           ltree NOT NULL,
    workplace_org       text NOT NULL CHECK (length(btrim(workplace_org)) BETWEEN 1 AND 200),
    reported_on         date NOT NULL DEFAULT current_date,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX party_member_report_area_path_gist ON party_member_report USING gist (area_path);

CREATE FUNCTION party_member_report_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a area%ROWTYPE;
    member resident%ROWTYPE;
BEGIN
    a := area_row(NEW.area_id);
    IF a.level <> 'village' THEN
        PERFORM grid_refuse('in-service party members report to a community (village level)',
                            'party_member_report_area_level');
    END IF;
    NEW.area_path := a.path;
    SELECT * INTO member FROM resident WHERE id = NEW.resident_id;
    IF NOT member.is_party_member THEN
        PERFORM grid_refuse('only party members report to their community',
                            'party_member_report_party');
    END IF;
    IF NOT member.area_path <@ a.path THEN
        PERFORM grid_refuse('a party member reports to the community they live in',
                            'party_member_report_home');
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER party_member_report_before_write BEFORE INSERT OR UPDATE ON party_member_report
    FOR EACH ROW EXECUTE FUNCTION party_member_report_before_write();

-- Needs, resources, matches, projects ---------------------------------------------------
CREATE TABLE need (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id  bigint REFERENCES household (id) ON DELETE CASCADE,
    area_id       bigint NOT NULL REFERENCES area (id) ON DELETE RESTRICT,
    area_path     ltree NOT NULL,
    category      need_category NOT NULL,
    title         text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    description   text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    status        need_status NOT NULL DEFAULT 'open',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX need_area_path_gist ON need USING gist (area_path);
CREATE INDEX need_household ON need (household_id);

-- A household's need lies in the household's area; an area's need in a community or below.
CREATE FUNCTION need_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a area%ROWTYPE;
BEGIN
    IF NEW.household_id IS NOT NULL THEN
        SELECT area_id INTO NEW.area_id FROM household WHERE id = NEW.household_id;
    END IF;
    a := area_row(NEW.area_id);
    IF a.level NOT IN ('village', 'compound', 'building') THEN
        PERFORM grid_refuse(format('needs are recorded for a community or below, not a %s', a.level),
                            'need_area_level');
    END IF;
    NEW.area_path := a.path;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER need_before_write BEFORE INSERT OR UPDATE ON need
    FOR EACH ROW EXECUTE FUNCTION need_before_write();

CREATE TABLE resource (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider_kind         provider_kind NOT NULL,
    provider_resident_id  bigint REFERENCES resident (id) ON DELETE CASCADE,
    provider_name         text NOT NULL CHECK (length(btrim(provider_name)) BETWEEN 1 AND 200),
    area_id               bigint NOT NULL REFERENCES area (id) ON DELETE RESTRICT,
    area_path             ltree NOT NULL,
    category              resource_category NOT NULL,
    title                 text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    description           text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    available             boolean NOT NULL DEFAULT true,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT resource_provider CHECK ((provider_kind = 'resident') = (provider_resident_id IS NOT NULL))
);
CREATE INDEX resource_area_path_gist ON resource USING gist (area_path);

CREATE FUNCTION area_path_from_area() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a area%ROWTYPE;
BEGIN
    a := area_row(NEW.area_id);
    IF a.level NOT IN ('village', 'compound', 'building') THEN
        PERFORM grid_refuse(format('%s rows belong to a community or below, not a %s',
                                   TG_TABLE_NAME, a.level), TG_TABLE_NAME || '_area_level');
    END IF;
    NEW.area_path := a.path;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER resource_before_write BEFORE INSERT OR UPDATE ON resource
    FOR EACH ROW EXECUTE FUNCTION area_path_from_area();

CREATE TABLE need_match (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    need_id      bigint NOT NULL REFERENCES need (id) ON DELETE CASCADE,
    resource_id  bigint NOT NULL REFERENCES resource (id) ON DELETE CASCADE,
    area_path    ltree NOT NULL,
    status       match_status NOT NULL DEFAULT 'proposed',
    note         text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT need_match_once UNIQUE (need_id, resource_id)
);
CREATE INDEX need_match_area_path_gist ON need_match USING gist (area_path);
CREATE INDEX need_match_resource ON need_match (resource_id);

CREATE FUNCTION match_transition_allowed(old_status match_status, new_status match_status)
RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (old_status, new_status) IN (
        ('proposed', 'accepted'), ('proposed', 'declined'), ('proposed', 'cancelled'),
        ('accepted', 'in_progress'), ('accepted', 'completed'), ('accepted', 'cancelled'),
        ('in_progress', 'completed'), ('in_progress', 'cancelled'))
$$;

CREATE FUNCTION need_match_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT area_path INTO NEW.area_path FROM need WHERE id = NEW.need_id;
        IF NEW.status <> 'proposed' THEN
            PERFORM grid_refuse('a match starts as proposed', 'need_match_transition');
        END IF;
        IF EXISTS (SELECT 1 FROM need WHERE id = NEW.need_id AND status IN ('met', 'closed')) THEN
            PERFORM grid_refuse('the need is already met or closed', 'need_match_need_closed');
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.need_id <> OLD.need_id OR NEW.resource_id <> OLD.resource_id THEN
        PERFORM grid_refuse('a match keeps its need and resource', 'need_match_identity');
    END IF;
    NEW.area_path := OLD.area_path;
    IF NEW.status <> OLD.status AND NOT match_transition_allowed(OLD.status, NEW.status) THEN
        PERFORM grid_refuse(format('a %s match cannot become %s', OLD.status, NEW.status),
                            'need_match_transition');
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER need_match_before_write BEFORE INSERT OR UPDATE ON need_match
    FOR EACH ROW EXECUTE FUNCTION need_match_before_write();

-- The need follows its matches: met when one is completed, matched while one is accepted
-- or under way, open again when none is.
CREATE FUNCTION need_follows_matches() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE need n SET status = CASE
        WHEN EXISTS (SELECT 1 FROM need_match m WHERE m.need_id = n.id AND m.status = 'completed')
            THEN 'met'::need_status
        WHEN EXISTS (SELECT 1 FROM need_match m WHERE m.need_id = n.id
                        AND m.status IN ('accepted', 'in_progress'))
            THEN 'matched'::need_status
        ELSE 'open'::need_status END
     WHERE n.id = NEW.need_id AND n.status <> 'closed';
    RETURN NULL;
END
$$;
CREATE TRIGGER need_match_moves_need AFTER INSERT OR UPDATE OF status ON need_match
    FOR EACH ROW EXECUTE FUNCTION need_follows_matches();

CREATE TABLE project (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    area_id     bigint NOT NULL REFERENCES area (id) ON DELETE RESTRICT,
    area_path   ltree NOT NULL,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    budget_fen  bigint NOT NULL DEFAULT 0 CHECK (budget_fen >= 0),
    status      project_status NOT NULL DEFAULT 'planned',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_area_path_gist ON project USING gist (area_path);
CREATE TRIGGER project_before_write BEFORE INSERT OR UPDATE ON project
    FOR EACH ROW EXECUTE FUNCTION area_path_from_area();

CREATE TABLE project_need (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES project (id) ON DELETE CASCADE,
    need_id     bigint NOT NULL REFERENCES need (id) ON DELETE CASCADE,
    area_path   ltree NOT NULL,
    CONSTRAINT project_need_once UNIQUE (project_id, need_id)
);
CREATE INDEX project_need_need ON project_need (need_id);
CREATE INDEX project_need_area_path_gist ON project_need USING gist (area_path);

CREATE FUNCTION project_need_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    need_path ltree;
BEGIN
    SELECT area_path INTO NEW.area_path FROM project WHERE id = NEW.project_id;
    SELECT area_path INTO need_path FROM need WHERE id = NEW.need_id;
    IF NOT need_path <@ NEW.area_path THEN
        PERFORM grid_refuse('a project bundles needs of its own area', 'project_need_area');
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER project_need_before_write BEFORE INSERT OR UPDATE ON project_need
    FOR EACH ROW EXECUTE FUNCTION project_need_before_write();

-- Micro-projects ----------------------------------------------------------------------
CREATE TABLE micro_project (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title         text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    description   text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    sponsor_id    bigint NOT NULL REFERENCES resident (id) ON DELETE RESTRICT,
    area_id       bigint NOT NULL REFERENCES area (id) ON DELETE RESTRICT,
    area_path     ltree NOT NULL,
    budget_fen    bigint NOT NULL DEFAULT 0 CHECK (budget_fen >= 0),
    status        micro_project_status NOT NULL DEFAULT 'proposed',
    proposed_on   date NOT NULL DEFAULT current_date,
    outcome       text CHECK (length(btrim(outcome)) BETWEEN 1 AND 2000),
    completed_on  date,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT micro_project_outcome CHECK (
        (status = 'completed') = (outcome IS NOT NULL AND completed_on IS NOT NULL)),
    CONSTRAINT micro_project_dates CHECK (completed_on IS NULL OR completed_on >= proposed_on)
);
CREATE INDEX micro_project_area_path_gist ON micro_project USING gist (area_path);
CREATE INDEX micro_project_sponsor ON micro_project (sponsor_id);
CREATE INDEX micro_project_proposed_on ON micro_project (proposed_on);

CREATE FUNCTION micro_project_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a area%ROWTYPE;
    sponsor_path ltree;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = 'completed' THEN
            PERFORM grid_refuse('a completed micro-project keeps its outcome',
                                'micro_project_completed');
        END IF;
        IF NEW.area_id <> OLD.area_id OR NEW.sponsor_id <> OLD.sponsor_id THEN
            PERFORM grid_refuse('a micro-project keeps its area and sponsor',
                                'micro_project_identity');
        END IF;
        NEW.area_path := OLD.area_path;
        NEW.updated_at := now();
        RETURN NEW;
    END IF;
    a := area_row(NEW.area_id);
    IF a.level NOT IN ('village', 'compound', 'building') THEN
        PERFORM grid_refuse(format('micro-projects belong to a community or below, not a %s', a.level),
                            'micro_project_area_level');
    END IF;
    NEW.area_path := a.path;
    SELECT area_path INTO sponsor_path FROM resident WHERE id = NEW.sponsor_id;
    IF community_of(sponsor_path) IS DISTINCT FROM community_of(a.path) THEN
        PERFORM grid_refuse('the sponsor lives in the micro-project''s community',
                            'micro_project_sponsor_area');
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER micro_project_before_write BEFORE INSERT OR UPDATE ON micro_project
    FOR EACH ROW EXECUTE FUNCTION micro_project_before_write();

CREATE TABLE micro_project_participant (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    micro_project_id  bigint NOT NULL REFERENCES micro_project (id) ON DELETE CASCADE,
    resident_id       bigint NOT NULL REFERENCES resident (id) ON DELETE CASCADE,
    area_path         ltree NOT NULL,
    joined_on         date NOT NULL DEFAULT current_date,
    CONSTRAINT micro_project_participant_once UNIQUE (micro_project_id, resident_id)
);
CREATE INDEX micro_project_participant_resident ON micro_project_participant (resident_id);
CREATE INDEX micro_project_participant_area_path_gist ON micro_project_participant
    USING gist (area_path);

CREATE FUNCTION micro_project_participant_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    project micro_project%ROWTYPE;
BEGIN
    SELECT * INTO project FROM micro_project WHERE id = NEW.micro_project_id;
    NEW.area_path := project.area_path;
    IF project.status = 'completed' THEN
        PERFORM grid_refuse('the micro-project is completed', 'micro_project_completed');
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER micro_project_participant_before_write
    BEFORE INSERT OR UPDATE ON micro_project_participant
    FOR EACH ROW EXECUTE FUNCTION micro_project_participant_before_write();

-- Row-level security, audit, grants ---------------------------------------------------
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['grid_node', 'grid_household', 'grid_visit', 'party_branch',
                             'party_member_report', 'need', 'resource', 'need_match', 'project',
                             'project_need', 'micro_project', 'micro_project_participant'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR INSERT WITH CHECK (gongzhi_writes(area_path))',
                       t || '_insert', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE USING (gongzhi_writes(area_path)) '
                       'WITH CHECK (gongzhi_writes(area_path))', t || '_update', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR DELETE USING (gongzhi_writes(area_path))',
                       t || '_delete', t);
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I '
                       'FOR EACH ROW EXECUTE FUNCTION audit_capture()', t || '_audit', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO gongzhi_app', t);
    END LOOP;
END
$$;
-- Public lists: a resident also reads those of their own community.
CREATE POLICY grid_node_read ON grid_node FOR SELECT USING (gongzhi_reads_public(area_path));
CREATE POLICY resource_read ON resource FOR SELECT USING (gongzhi_reads_public(area_path));
CREATE POLICY project_read ON project FOR SELECT USING (gongzhi_reads_public(area_path));
CREATE POLICY project_need_read ON project_need FOR SELECT USING (gongzhi_reads(area_path));
CREATE POLICY micro_project_read ON micro_project FOR SELECT
    USING (gongzhi_reads_public(area_path));
CREATE POLICY micro_project_participant_read ON micro_project_participant FOR SELECT
    USING (gongzhi_reads(area_path));
-- Area-scoped only: who is assigned to whom, visits, the party's own records.
CREATE POLICY grid_household_read ON grid_household FOR SELECT USING (gongzhi_reads(area_path));
CREATE POLICY grid_visit_read ON grid_visit FOR SELECT USING (gongzhi_reads(area_path));
CREATE POLICY party_branch_read ON party_branch FOR SELECT USING (gongzhi_reads(area_path));
CREATE POLICY party_member_report_read ON party_member_report FOR SELECT
    USING (gongzhi_reads(area_path));
-- Needs: the area, or a resident's own household (who may also add needs for it).
CREATE POLICY need_read ON need FOR SELECT
    USING (gongzhi_reads(area_path) OR household_id = gongzhi_household());
CREATE POLICY need_resident_insert ON need FOR INSERT
    WITH CHECK (household_id = gongzhi_household());
-- Matches: readable with their need.
CREATE POLICY need_match_read ON need_match FOR SELECT
    USING (gongzhi_reads(area_path)
           OR EXISTS (SELECT 1 FROM need n WHERE n.id = need_id
                        AND n.household_id = gongzhi_household()));
-- A resident proposes micro-projects they sponsor themselves.
CREATE POLICY micro_project_resident_insert ON micro_project FOR INSERT
    WITH CHECK (gongzhi_role() = 'resident' AND EXISTS (
        SELECT 1 FROM resident r WHERE r.id = sponsor_id AND r.household_id = gongzhi_household()));
GRANT SELECT ON compound_branch TO gongzhi_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO gongzhi_app;
"""

DOWNGRADE = r"""
DROP VIEW compound_branch;
DROP TABLE micro_project_participant, micro_project, project_need, project, need_match,
    resource, need, party_member_report, party_branch, grid_visit, grid_household, grid_node;
DROP FUNCTION micro_project_participant_before_write, micro_project_before_write,
    project_need_before_write, need_follows_matches, need_match_before_write,
    match_transition_allowed, area_path_from_area, need_before_write,
    party_member_report_before_write, party_branch_before_write, grid_visit_before_insert,
    grid_household_before_write, grid_node_before_write, grid_refuse, area_row,
    gongzhi_reads_public, gongzhi_resident_community, community_of, branch_type_for;
DROP TYPE micro_project_status, project_status, match_status, resource_category, provider_kind,
    need_status, need_category, branch_type, grid_level;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
