-- Scratch schema for the benchmark's PostGraphile server only; bench/ creates it in the
-- scratch database, never in gongzhi's migrations. PostGraphile cannot express an ltree
-- subtree predicate or gongzhi's member order from the tables alone, so these functions
-- give it the same meaning as gongzhi's schema, as "computed columns" on the tables.
CREATE SCHEMA IF NOT EXISTS bench_pgl;

-- Area.households in gongzhi: households anywhere in the area's subtree, by id.
CREATE OR REPLACE FUNCTION bench_pgl.area_households_in_subtree(a public.area)
RETURNS SETOF public.household
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT h.* FROM public.household h WHERE h.area_path <@ a.path ORDER BY h.id
$$;

-- Household.members in gongzhi: the head first, then the oldest first.
CREATE OR REPLACE FUNCTION bench_pgl.household_members(h public.household)
RETURNS SETOF public.resident
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT r.* FROM public.resident r WHERE r.household_id = h.id
    ORDER BY (r.relation <> 'self'), r.birth_date, r.id
$$;

-- Resident.petitions(filter: {status: [open ones]}, orderBy: ID ASC) in gongzhi.
CREATE OR REPLACE FUNCTION bench_pgl.resident_open_petitions(r public.resident)
RETURNS SETOF public.petition
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT p.* FROM public.petition p
    WHERE p.submitter_id = r.id
      AND p.status IN ('received', 'triaged', 'assigned', 'in_progress')
    ORDER BY p.id
$$;

-- Area.residentStats { count households } in gongzhi, over the area's subtree. Like
-- gongzhi, these read the per-path counts its migrations keep (resident_tally, migration
-- 0012), so both servers answer the dashboard from the same tables.
DROP TYPE IF EXISTS bench_pgl.resident_stats CASCADE;
CREATE TYPE bench_pgl.resident_stats AS (count int, households int);

CREATE OR REPLACE FUNCTION bench_pgl.area_resident_stats(a public.area)
RETURNS bench_pgl.resident_stats
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(sum(x.residents), 0)::int, coalesce(sum(x.households), 0)::int
    FROM public.resident_tally x WHERE x.area_path <@ a.path
$$;

-- Area.residentStats { byCareTag { tag count } } in gongzhi: every tag, zeros included,
-- in the enum's order.
CREATE OR REPLACE FUNCTION bench_pgl.area_care_tag_counts(a public.area)
RETURNS TABLE (tag public.care_tag, count int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT v.tag, coalesce(v.n, 0)::int
    FROM (SELECT sum(x.care_tag_elderly_alone) AS elderly_alone,
           sum(x.care_tag_left_behind_child) AS left_behind_child,
           sum(x.care_tag_disabled) AS disabled,
           sum(x.care_tag_subsistence_allowance) AS subsistence_allowance,
           sum(x.care_tag_extreme_poverty) AS extreme_poverty,
           sum(x.care_tag_poverty_alleviated) AS poverty_alleviated
          FROM public.resident_tally x WHERE x.area_path <@ a.path) s
    CROSS JOIN LATERAL (VALUES
        ('elderly_alone'::public.care_tag, s.elderly_alone),
        ('left_behind_child'::public.care_tag, s.left_behind_child),
        ('disabled'::public.care_tag, s.disabled),
        ('subsistence_allowance'::public.care_tag, s.subsistence_allowance),
        ('extreme_poverty'::public.care_tag, s.extreme_poverty),
        ('poverty_alleviated'::public.care_tag, s.poverty_alleviated)
    ) AS v(tag, n)
$$;
