"""Resident figures per area path, kept by the writes: what dashboards count, pre-counted.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

A town's dashboard asks, for each of its villages, how many residents and households it
has and how many carry each care tag: counted from the residents themselves that is a
read of 30,000-60,000 rows per request (about 20 ms of one core at demo scale 1, what
held the dashboard's throughput). ``resident_tally`` holds those counts per area path
(the path residents carry: their household's area), one row per measure, and statement
triggers on ``resident`` add and subtract each statement's changes inside its own
transaction, so a reader sees exactly the counts its snapshot's residents give. A
dashboard then sums a few hundred rows instead (about 1.5 ms for a town).

Measures: ``residents``, ``households`` (heads: one per household, migration 0001),
``party_members``, ``gender:<gender>`` and ``care_tag:<tag>`` (a resident once per tag).
Figures that depend on the day (ages) or on a filter are still counted from residents.

Row-level security: a tally row is visible to whoever may read the residents on its path
by area (``gongzhi_read_scope``). A resident principal reads residents by household, which
no area count can express, so the compiler counts residents for them (db/compiled_community).

Only the triggers write the table (SECURITY DEFINER functions; the service's role may
read it). Writes made with triggers off (``session_replication_role = replica``: restores,
replicas) leave it behind: audit rule R7 finds the paths where it disagrees with the
residents, and ``resident_tally_rebuild()`` (``gongzhi audit rebuild-tally``) recounts.
"""

from db.migrations.sql import execute_script

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


UPGRADE = r"""
CREATE TABLE resident_tally (
    area_path ltree NOT NULL,
    measure   text NOT NULL,
    n         integer NOT NULL,
    PRIMARY KEY (area_path, measure)
);
CREATE INDEX resident_tally_area_path ON resident_tally USING gist (area_path);
COMMENT ON TABLE resident_tally IS
    'Resident counts per area path and measure, kept by triggers on resident (migration 0012).';

-- The measures one resident counts towards.
CREATE FUNCTION resident_measures(relation relation_to_head, is_party_member boolean,
                                  gender gender, care_tags care_tag[])
RETURNS SETOF text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'residents'
    UNION ALL SELECT 'households' WHERE relation = 'self'
    UNION ALL SELECT 'party_members' WHERE is_party_member
    UNION ALL SELECT 'gender:' || gender
    UNION ALL SELECT DISTINCT 'care_tag:' || t FROM unnest(care_tags) AS t
$$;

-- Each statement's residents added (NEW TABLE) and taken away (OLD TABLE), summed per
-- row of the tally and applied in key order, so concurrent writers lock tally rows in
-- one order and cannot deadlock on them.
CREATE FUNCTION resident_tally_apply() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO resident_tally AS t (area_path, measure, n)
        SELECT r.area_path, m.measure, count(*)
          FROM added r CROSS JOIN LATERAL
               resident_measures(r.relation, r.is_party_member, r.gender, r.care_tags) AS m(measure)
         GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (area_path, measure) DO UPDATE SET n = t.n + excluded.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO resident_tally AS t (area_path, measure, n)
        SELECT r.area_path, m.measure, -count(*)
          FROM removed r CROSS JOIN LATERAL
               resident_measures(r.relation, r.is_party_member, r.gender, r.care_tags) AS m(measure)
         GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (area_path, measure) DO UPDATE SET n = t.n + excluded.n;
    ELSE
        INSERT INTO resident_tally AS t (area_path, measure, n)
        SELECT d.area_path, d.measure, sum(d.n)
          FROM (SELECT r.area_path, m.measure, 1 AS n
                  FROM added r CROSS JOIN LATERAL
                       resident_measures(r.relation, r.is_party_member, r.gender, r.care_tags) AS m(measure)
                UNION ALL
                SELECT r.area_path, m.measure, -1
                  FROM removed r CROSS JOIN LATERAL
                       resident_measures(r.relation, r.is_party_member, r.gender, r.care_tags) AS m(measure)
               ) d
         GROUP BY 1, 2 HAVING sum(d.n) <> 0 ORDER BY 1, 2
        ON CONFLICT (area_path, measure) DO UPDATE SET n = t.n + excluded.n;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER resident_tally_insert AFTER INSERT ON resident
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION resident_tally_apply();
CREATE TRIGGER resident_tally_update AFTER UPDATE ON resident
    REFERENCING OLD TABLE AS removed NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION resident_tally_apply();
CREATE TRIGGER resident_tally_delete AFTER DELETE ON resident
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION resident_tally_apply();

-- Recount from the residents (after writes made with triggers off). Takes a lock that
-- waits for resident writers, so no change lands between the count and the swap.
CREATE FUNCTION resident_tally_rebuild() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    rows_written integer;
BEGIN
    LOCK TABLE resident IN SHARE MODE;
    DELETE FROM resident_tally;
    INSERT INTO resident_tally (area_path, measure, n)
    SELECT r.area_path, m.measure, count(*)
      FROM resident r CROSS JOIN LATERAL
           resident_measures(r.relation, r.is_party_member, r.gender, r.care_tags) AS m(measure)
     GROUP BY 1, 2;
    GET DIAGNOSTICS rows_written = ROW_COUNT;
    RETURN rows_written;
END
$$;
REVOKE EXECUTE ON FUNCTION resident_tally_rebuild() FROM PUBLIC;

CREATE FUNCTION resident_tally_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM resident_tally;
    RETURN NULL;
END
$$;
CREATE TRIGGER resident_tally_truncate AFTER TRUNCATE ON resident
    FOR EACH STATEMENT EXECUTE FUNCTION resident_tally_truncate();

SELECT resident_tally_rebuild();

ALTER TABLE resident_tally ENABLE ROW LEVEL SECURITY;
CREATE POLICY resident_tally_read ON resident_tally FOR SELECT
    USING (area_path <@ gongzhi_read_scope());
GRANT SELECT ON resident_tally TO gongzhi_app;
"""

DOWNGRADE = r"""
DROP TRIGGER resident_tally_truncate ON resident;
DROP TRIGGER resident_tally_delete ON resident;
DROP TRIGGER resident_tally_update ON resident;
DROP TRIGGER resident_tally_insert ON resident;
DROP FUNCTION resident_tally_truncate();
DROP FUNCTION resident_tally_rebuild();
DROP FUNCTION resident_tally_apply();
DROP FUNCTION resident_measures(relation_to_head, boolean, gender, care_tag[]);
DROP TABLE resident_tally;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
