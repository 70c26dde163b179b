"""Areas, households and residents with their invariants in the database.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from db.migrations.sql import execute_script

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


UPGRADE = r"""
CREATE EXTENSION IF NOT EXISTS ltree;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- GB 11643 resident ID numbers -------------------------------------------------------
CREATE FUNCTION gb11643_check_char(body text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT substr('10X98765432',
                  (SELECT sum(substr(body, i::int, 1)::int * w) % 11
                     FROM unnest(ARRAY[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2]) WITH ORDINALITY AS t(w, i))::int + 1,
                  1)
$$;

CREATE FUNCTION gb11643_birth_date(id_number text) RETURNS date
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    IF substr(id_number, 7, 8) !~ '^(18|19|20)[0-9]{6}$' THEN
        RETURN NULL;
    END IF;
    RETURN make_date(substr(id_number, 7, 4)::int, substr(id_number, 11, 2)::int,
                     substr(id_number, 13, 2)::int);
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format OR data_exception THEN
    RETURN NULL;
END
$$;

CREATE FUNCTION gb11643_valid(id_number text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT id_number ~ '^[0-9]{17}[0-9X]$'
       AND gb11643_birth_date(id_number) IS NOT NULL
       AND gb11643_check_char(left(id_number, 17)) = right(id_number, 1)
$$;

-- Enumerations ----------------------------------------------------------------------
CREATE TYPE area_level AS ENUM ('province', 'city', 'county', 'town', 'village', 'compound', 'building');
CREATE TYPE gender AS ENUM ('male', 'female');
-- GB/T 4761 relation to the head of household, in the grouping domain.md uses.
CREATE TYPE relation_to_head AS ENUM
    ('self', 'spouse', 'son', 'daughter', 'grandchild', 'parent', 'grandparent', 'sibling', 'other');
CREATE TYPE care_tag AS ENUM
    ('elderly_alone', 'left_behind_child', 'disabled', 'subsistence_allowance', 'extreme_poverty',
     'poverty_alleviated');
CREATE TYPE resident_role AS ENUM ('building_head', 'courtyard_head', 'grid_worker', 'mediator');

CREATE FUNCTION gb11643_gender(id_number text) RETURNS gender
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN substr(id_number, 17, 1)::int % 2 = 1 THEN 'male'::gender ELSE 'female'::gender END
$$;

CREATE FUNCTION area_level_rank(level area_level) RETURNS int
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_position(enum_range(NULL::area_level), level)
$$;

-- The code format of each level, as contracts/statistics-intake.md section 1 fixes it.
CREATE FUNCTION area_code_valid(code text, level area_level) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT code ~ CASE level
        WHEN 'province' THEN '^[0-9]{2}$'
        WHEN 'city' THEN '^[0-9]{4}$'
        WHEN 'county' THEN '^[0-9]{6}$'
        WHEN 'town' THEN '^[0-9]{9}$'
        WHEN 'village' THEN '^[0-9]{12}$'
        WHEN 'compound' THEN '^[0-9]{12}-[0-9A-Za-z]+$'
        WHEN 'building' THEN '^[0-9]{12}-[0-9A-Za-z]+-[0-9A-Za-z]+$'
    END
$$;

CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

-- Areas --------------------------------------------------------------------------
CREATE TABLE area (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    level       area_level NOT NULL,
    parent_id   bigint REFERENCES area (id) ON DELETE RESTRICT,
    -- ids from the root down: "all rows under this town" is one indexed `<@` predicate
    path        ltree NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT area_code_format CHECK (area_code_valid(code, level)),
    CONSTRAINT area_root_is_province CHECK ((parent_id IS NULL) = (level = 'province'))
);
CREATE INDEX area_path_gist ON area USING gist (path);
CREATE INDEX area_parent ON area (parent_id);
CREATE INDEX area_name_trgm ON area USING gin (name gin_trgm_ops);

CREATE FUNCTION area_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parent area%ROWTYPE;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.code <> OLD.code OR NEW.level <> OLD.level
           OR NEW.parent_id IS DISTINCT FROM OLD.parent_id OR NEW.path <> OLD.path THEN
            RAISE EXCEPTION 'area % keeps its code, level and parent; only its name may change', OLD.code
                USING ERRCODE = 'check_violation', CONSTRAINT = 'area_identity_immutable';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.parent_id IS NULL THEN
        NEW.path := text2ltree(NEW.id::text);
        RETURN NEW;
    END IF;
    SELECT * INTO parent FROM area WHERE id = NEW.parent_id;
    IF area_level_rank(parent.level) <> area_level_rank(NEW.level) - 1 THEN
        RAISE EXCEPTION 'area % (%) cannot sit under % (%): its parent must be one level up',
            NEW.code, NEW.level, parent.code, parent.level
            USING ERRCODE = 'check_violation', CONSTRAINT = 'area_parent_level';
    END IF;
    IF NOT starts_with(NEW.code, parent.code)
       OR (NEW.level IN ('compound', 'building') AND NOT starts_with(NEW.code, parent.code || '-')) THEN
        RAISE EXCEPTION 'area code % does not extend its parent''s code %', NEW.code, parent.code
            USING ERRCODE = 'check_violation', CONSTRAINT = 'area_parent_code';
    END IF;
    NEW.path := parent.path || text2ltree(NEW.id::text);
    RETURN NEW;
END
$$;
CREATE TRIGGER area_before_write BEFORE INSERT OR UPDATE ON area
    FOR EACH ROW EXECUTE FUNCTION area_before_write();
CREATE TRIGGER area_touch BEFORE UPDATE ON area
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION touch_updated_at();

-- Households -----------------------------------------------------------------------
CREATE TABLE household (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- the compound or building the household lives in
    area_id     bigint NOT NULL REFERENCES area (id) ON DELETE RESTRICT,
    -- copied from area.path by trigger so subtree filters and row-level security need no join
    area_path   ltree NOT NULL,
    unit        text CHECK (length(btrim(unit)) BETWEEN 1 AND 20),
    room        text NOT NULL CHECK (length(btrim(room)) BETWEEN 1 AND 20),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX household_address ON household (area_id, coalesce(unit, ''), room);
CREATE INDEX household_area_path_gist ON household USING gist (area_path);

CREATE FUNCTION household_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a area%ROWTYPE;
BEGIN
    IF TG_OP = 'INSERT' OR NEW.area_id <> OLD.area_id THEN
        SELECT * INTO a FROM area WHERE id = NEW.area_id;
        IF a.level NOT IN ('compound', 'building') THEN
            RAISE EXCEPTION 'a household lives in a compound or building, not in % % (%)',
                a.level, a.code, a.name
                USING ERRCODE = 'check_violation', CONSTRAINT = 'household_area_level';
        END IF;
        NEW.area_path := a.path;
    ELSIF NEW.area_path <> OLD.area_path THEN
        NEW.area_path := OLD.area_path;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER household_before_write BEFORE INSERT OR UPDATE ON household
    FOR EACH ROW EXECUTE FUNCTION household_before_write();

-- Residents -----------------------------------------------------------------------
CREATE TABLE resident (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id     bigint NOT NULL REFERENCES household (id) ON DELETE CASCADE,
    area_path        ltree NOT NULL,
    name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 64),
    gender           gender NOT NULL,
    birth_date       date NOT NULL CHECK (birth_date >= DATE '1880-01-01'),
    id_number        text UNIQUE CONSTRAINT resident_id_number_valid CHECK (gb11643_valid(id_number)),
    phone            text CONSTRAINT resident_phone_format
                         CHECK (phone ~ '^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$'),
    relation         relation_to_head NOT NULL,
    registered_here  boolean NOT NULL DEFAULT true,
    lives_here       boolean NOT NULL DEFAULT true,
    care_tags        care_tag[] NOT NULL DEFAULT '{}',
    is_party_member  boolean NOT NULL DEFAULT false,
    roles            resident_role[] NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT resident_matches_id_number CHECK (
        id_number IS NULL
        OR (birth_date = gb11643_birth_date(id_number) AND gender = gb11643_gender(id_number))),
    CONSTRAINT resident_lives_or_registered CHECK (registered_here OR lives_here),
    -- deferred so a head of household can be handed over inside one transaction
    CONSTRAINT resident_one_head EXCLUDE USING btree (household_id WITH =) WHERE (relation = 'self')
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX resident_household ON resident (household_id);
CREATE INDEX resident_area_path_gist ON resident USING gist (area_path);
CREATE INDEX resident_care_tags ON resident USING gin (care_tags);
CREATE INDEX resident_name_trgm ON resident USING gin (name gin_trgm_ops);
CREATE INDEX resident_birth_date ON resident (birth_date);

CREATE FUNCTION resident_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.birth_date > current_date THEN
        RAISE EXCEPTION 'birth date % is in the future', NEW.birth_date
            USING ERRCODE = 'check_violation', CONSTRAINT = 'resident_birth_date_past';
    END IF;
    -- area_path always follows the household: on insert, on a move to another household,
    -- and when household_after_move rewrites it (any other value is replaced)
    IF TG_OP = 'INSERT' OR NEW.household_id <> OLD.household_id
       OR NEW.area_path IS DISTINCT FROM OLD.area_path THEN
        SELECT area_path INTO NEW.area_path FROM household WHERE id = NEW.household_id;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER resident_before_write BEFORE INSERT OR UPDATE ON resident
    FOR EACH ROW EXECUTE FUNCTION resident_before_write();

CREATE FUNCTION household_after_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE resident r SET area_path = h.area_path
      FROM moved h WHERE r.household_id = h.id AND r.area_path <> h.area_path;
    RETURN NULL;
END
$$;
CREATE TRIGGER household_after_move AFTER UPDATE ON household
    REFERENCING NEW TABLE AS moved FOR EACH STATEMENT EXECUTE FUNCTION household_after_move();

-- Exactly one head per household, checked when the transaction commits so a household
-- and its members can be written in any order inside it.
CREATE FUNCTION check_one_head(households bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    hid bigint;
    heads int;
BEGIN
    FOREACH hid IN ARRAY households LOOP
        CONTINUE WHEN hid IS NULL OR NOT EXISTS (SELECT 1 FROM household WHERE id = hid);
        SELECT count(*) INTO heads FROM resident WHERE household_id = hid AND relation = 'self';
        IF heads <> 1 THEN
            RAISE EXCEPTION 'household % must have exactly one head, has %', hid, heads
                USING ERRCODE = 'check_violation', CONSTRAINT = 'household_one_head';
        END IF;
    END LOOP;
END
$$;

CREATE FUNCTION household_has_one_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM check_one_head(ARRAY[NEW.id]);
    RETURN NULL;
END
$$;

CREATE FUNCTION resident_keeps_one_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM check_one_head(ARRAY[OLD.household_id]);
    ELSE
        PERFORM check_one_head(ARRAY[OLD.household_id, NEW.household_id]);
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER household_one_head AFTER INSERT ON household
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION household_has_one_head();
CREATE CONSTRAINT TRIGGER resident_keeps_one_head AFTER UPDATE OF relation, household_id OR DELETE ON resident
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION resident_keeps_one_head();
"""

DOWNGRADE = r"""
DROP TABLE resident;
DROP TABLE household;
DROP TABLE area;
DROP FUNCTION resident_keeps_one_head, household_has_one_head, check_one_head, household_after_move, resident_before_write,
    household_before_write, area_before_write, touch_updated_at, area_code_valid, area_level_rank,
    gb11643_gender, gb11643_valid, gb11643_birth_date, gb11643_check_char;
DROP TYPE resident_role, care_tag, relation_to_head, gender, area_level;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
