"""Resident figures per area path, kept by the writes: what dashboards count, pre-counted.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

A town's dashboard asks, for each of its villages, how many residents and households it
has and how many carry each care tag: counted from the residents themselves that is a
read of 30,000-60,000 rows per request (about 20 ms of one core at demo scale 1, what
held the dashboard's throughput). ``resident_tally`` holds those counts per area path
(the path residents carry: their household's area), one row per path and a column per
measure, and statement triggers on ``resident`` add and subtract each statement's
changes inside its own transaction, so a reader sees exactly the counts its snapshot's
residents give. A town's dashboard then sums a few hundred rows instead (about 0.5 ms).

Measures (columns): ``residents``, ``households`` (heads: one per household, migration
0001), ``party_members``, ``gender_<gender>`` and ``care_tag_<tag>`` (a resident once
per tag), for the genders and care tags of migration 0001: a migration that adds a
value to either enum adds its column here and to the trigger. Figures that depend on
the day (ages) or on a filter are still counted from residents.

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

# Each measure's column and what one resident ``r`` adds to it: written out here, not
# imported, because a migration is history and must not change when the code does.
GENDERS = ("male", "female")
CARE_TAGS = (
    "elderly_alone",
    "left_behind_child",
    "disabled",
    "subsistence_allowance",
    "extreme_poverty",
    "poverty_alleviated",
)
MEASURES: tuple[tuple[str, str], ...] = (
    ("residents", "1"),
    ("households", "(r.relation = 'self')::int"),
    ("party_members", "r.is_party_member::int"),
    *((f"gender_{g}", f"(r.gender = '{g}')::int") for g in GENDERS),
    *((f"care_tag_{t}", f"(r.care_tags @> '{{{t}}}'::care_tag[])::int") for t in CARE_TAGS),
)
COLUMNS = ", ".join(column for column, _ in MEASURES)


def _sums(sign: str | None) -> str:
    """Each measure summed over ``r`` (times ``sign``, an expression: 1 or -1), named."""
    factor = f"{sign} * " if sign else ""
    return ", ".join(
        f"sum({factor}{expression})::int AS {column}" for column, expression in MEASURES
    )


def _apply(source: str, sign: str) -> str:
    """Add the summed measures of ``source`` rows ``r`` to the tally, path by path in key
    order (concurrent writers lock tally rows in one order: no deadlock among them); a
    path whose figures did not change is not written."""
    changed = " OR ".join(f"d.{column} <> 0" for column, _ in MEASURES)
    added = ", ".join(f"{column} = t.{column} + excluded.{column}" for column, _ in MEASURES)
    return f"""
        INSERT INTO resident_tally AS t (area_path, {COLUMNS})
        SELECT d.* FROM (
            SELECT r.area_path, {_sums(sign)} FROM ({source}) r GROUP BY r.area_path
        ) d
        WHERE {changed}
        ORDER BY d.area_path
        ON CONFLICT (area_path) DO UPDATE SET {added};"""


UPGRADE = f"""
CREATE TABLE resident_tally (
    area_path ltree PRIMARY KEY,
    {", ".join(f"{column} integer NOT NULL DEFAULT 0" for column, _ in MEASURES)}
);
CREATE INDEX resident_tally_area_path ON resident_tally USING gist (area_path);
COMMENT ON TABLE resident_tally IS
    'Resident counts per area path, kept by triggers on resident (migration 0012).';

-- The counts from the residents themselves, for the subtree of scope ('' is all): the
-- recount, and what audit rule R7 compares the tally with. Runs as its caller.
CREATE FUNCTION resident_tally_count(scope ltree) RETURNS SETOF resident_tally
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT r.area_path, {_sums(None)} FROM resident r
     WHERE r.area_path <@ scope GROUP BY r.area_path
$$;

CREATE FUNCTION resident_tally_apply() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_apply("SELECT 1 AS sign, * FROM added", "r.sign")}
    ELSIF TG_OP = 'DELETE' THEN
        {_apply("SELECT -1 AS sign, * FROM removed", "r.sign")}
    ELSE
        {_apply("SELECT 1 AS sign, * FROM added UNION ALL SELECT -1, * FROM removed", "r.sign")}
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
    INSERT INTO resident_tally SELECT * FROM resident_tally_count('');
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

DOWNGRADE = """
DROP TRIGGER resident_tally_truncate ON resident;
DROP TRIGGER resident_tally_delete ON resident;
DROP TRIGGER resident_tally_update ON resident;
DROP TRIGGER resident_tally_insert ON resident;
DROP FUNCTION resident_tally_truncate();
DROP FUNCTION resident_tally_rebuild();
DROP FUNCTION resident_tally_apply();
DROP FUNCTION resident_tally_count(ltree);
DROP TABLE resident_tally;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
