"""Collective enterprises: registration, members and shares, annual accounts, dividends,
disclosure, with the income-distribution identities held by the database.

Money is in fen (bigint). The identities of an annual account are CHECK constraints on
its row; the ones that span rows (next year's opening = this year's closing, a
distribution's lines against its account and the members' shares) are DEFERRABLE
INITIALLY DEFERRED constraint triggers, so an account, its distribution and the lines go
in together in one transaction and are judged at COMMIT. docs/enterprises.md lists every
rule with the constraint name that carries it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from db.migrations.sql import execute_script

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


UPGRADE = r"""
-- for the no-overlap exclusion constraints on membership and share periods (other
-- domains may use it too: the downgrade leaves it installed)
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- GB 32100 unified social credit codes: the same rule as validation/ids.py -----------
CREATE FUNCTION gb32100_check_char(body text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT substr('0123456789ABCDEFGHJKLMNPQRTUWXY',
                  (31 - (SELECT sum((strpos('0123456789ABCDEFGHJKLMNPQRTUWXY',
                                            substr(body, i::int, 1)) - 1) * w)
                           FROM unnest(ARRAY[1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28])
                                WITH ORDINALITY AS t(w, i))::int % 31) % 31 + 1,
                  1)
$$;

CREATE FUNCTION gb32100_valid(code text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT code ~ '^[0-9A-HJ-NP-RTUW-Y]{18}$'
       AND gb32100_check_char(left(code, 17)) = right(code, 1)
$$;

CREATE TYPE enterprise_kind AS ENUM
    ('village_collective', 'collective_company', 'specialised_cooperative',
     'shareholding_cooperative');
CREATE TYPE share_class AS ENUM ('population', 'farm_age', 'collective', 'cash');
CREATE TYPE dividend_basis AS ENUM ('per_share', 'per_household', 'per_member');

-- Who may change enterprise data: admins, community workers and officers in their area.
CREATE FUNCTION gongzhi_enterprise_writes(path ltree) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(gongzhi_role() IN ('admin', 'community_worker', 'officer')
                    AND path <@ gongzhi_write_scope(), false)
$$;

-- A resident principal's household's area path: residents read what is published for
-- the enterprises of their area. Definer: the household table's policy is not needed
-- to find one's own address.
CREATE FUNCTION gongzhi_household_path() RETURNS ltree
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
    SELECT area_path FROM household WHERE id = gongzhi_household()
$$;

-- Enterprises -------------------------------------------------------------------------
CREATE TABLE collective_enterprise (
    id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    area_id                  bigint NOT NULL REFERENCES area (id) ON DELETE RESTRICT,
    area_path                ltree NOT NULL,
    name                     text NOT NULL CONSTRAINT enterprise_name_check
                                 CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    kind                     enterprise_kind NOT NULL,
    credit_code              text NOT NULL
                                 CONSTRAINT enterprise_credit_code_valid CHECK (gb32100_valid(credit_code)),
    founded_on               date NOT NULL CONSTRAINT enterprise_founded_on_check
                                 CHECK (founded_on >= DATE '1949-10-01'),
    legal_representative_id  bigint NOT NULL REFERENCES resident (id) ON DELETE RESTRICT,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT enterprise_credit_code_key UNIQUE (credit_code),
    -- GB 32100's registration-authority prefix: N1/N2/N3 collective economic
    -- organisations (group/village/town), 93 farmers' specialised cooperatives
    CONSTRAINT enterprise_code_matches_kind CHECK (
        CASE kind WHEN 'village_collective' THEN credit_code ~ '^N[123]'
                  WHEN 'specialised_cooperative' THEN credit_code ~ '^93'
                  ELSE true END)
);
CREATE INDEX collective_enterprise_area_path_gist ON collective_enterprise USING gist (area_path);
CREATE INDEX collective_enterprise_area ON collective_enterprise (area_id);

CREATE FUNCTION enterprise_before_write() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
    a area%ROWTYPE;
    rep_path ltree;
BEGIN
    SELECT * INTO a FROM area WHERE id = NEW.area_id;
    IF a.level NOT IN ('town', 'village', 'compound') THEN
        RAISE EXCEPTION 'a collective enterprise belongs to a town, village or group (compound), not to % % (%)',
            a.level, a.code, a.name
            USING ERRCODE = 'check_violation', CONSTRAINT = 'enterprise_area_level';
    END IF;
    NEW.area_path := a.path;
    SELECT area_path INTO rep_path FROM resident WHERE id = NEW.legal_representative_id;
    IF rep_path IS NULL OR NOT rep_path <@ a.path THEN
        RAISE EXCEPTION 'the legal representative (resident %) must be a resident of % (%)',
            NEW.legal_representative_id, a.name, a.code
            USING ERRCODE = 'check_violation', CONSTRAINT = 'enterprise_representative_in_area';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER enterprise_before_write BEFORE INSERT OR UPDATE ON collective_enterprise
    FOR EACH ROW EXECUTE FUNCTION enterprise_before_write();

-- Copies the enterprise's area path onto a child row (members, shares, accounts).
CREATE FUNCTION enterprise_child_path() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
    SELECT area_path INTO NEW.area_path FROM collective_enterprise WHERE id = NEW.enterprise_id;
    RETURN NEW;
END
$$;

-- A distribution's checks are memoised per transaction (many line rows, one check per
-- distribution at COMMIT); any write that could change the verdict forgets the memo.
CREATE FUNCTION enterprise_forget_checks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('gongzhi.checked_distributions', '', true);
    RETURN NULL;
END
$$;

-- Members (households) and their periods -------------------------------------------------
CREATE TABLE enterprise_member (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise_id  bigint NOT NULL REFERENCES collective_enterprise (id) ON DELETE CASCADE,
    household_id   bigint NOT NULL REFERENCES household (id) ON DELETE RESTRICT,
    area_path      ltree NOT NULL,
    joined_on      date NOT NULL,
    left_on        date,  -- the last day of membership; NULL while a member
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT enterprise_member_period CHECK (left_on IS NULL OR left_on >= joined_on),
    CONSTRAINT enterprise_member_no_overlap EXCLUDE USING gist
        (enterprise_id WITH =, household_id WITH =, daterange(joined_on, left_on, '[]') WITH &&)
);
CREATE INDEX enterprise_member_area_path_gist ON enterprise_member USING gist (area_path);
CREATE INDEX enterprise_member_household ON enterprise_member (household_id);

CREATE FUNCTION enterprise_member_before_write() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
    home ltree;
BEGIN
    SELECT area_path INTO NEW.area_path FROM collective_enterprise WHERE id = NEW.enterprise_id;
    IF TG_OP = 'INSERT' OR NEW.household_id <> OLD.household_id
       OR NEW.enterprise_id <> OLD.enterprise_id THEN
        SELECT area_path INTO home FROM household WHERE id = NEW.household_id;
        IF home IS NULL OR NOT home <@ NEW.area_path THEN
            RAISE EXCEPTION 'household % does not live in the enterprise''s area', NEW.household_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'enterprise_member_household_area';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER enterprise_member_before_write BEFORE INSERT OR UPDATE ON enterprise_member
    FOR EACH ROW EXECUTE FUNCTION enterprise_member_before_write();

-- Shareholdings: only member households hold shares ------------------------------------
CREATE TABLE shareholding (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise_id  bigint NOT NULL REFERENCES collective_enterprise (id) ON DELETE CASCADE,
    household_id   bigint NOT NULL REFERENCES household (id) ON DELETE RESTRICT,
    area_path      ltree NOT NULL,
    share_class    share_class NOT NULL,
    quantity       bigint NOT NULL CONSTRAINT shareholding_quantity_positive
                       CHECK (quantity BETWEEN 1 AND 1000000000),
    valid_from     date NOT NULL,
    valid_to       date,  -- the last day held; NULL while held
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT shareholding_period CHECK (valid_to IS NULL OR valid_to >= valid_from),
    CONSTRAINT shareholding_no_overlap EXCLUDE USING gist
        (enterprise_id WITH =, household_id WITH =, share_class WITH =,
         daterange(valid_from, valid_to, '[]') WITH &&)
);
CREATE INDEX shareholding_area_path_gist ON shareholding USING gist (area_path);
CREATE INDEX shareholding_household ON shareholding (household_id);
CREATE TRIGGER shareholding_path BEFORE INSERT OR UPDATE ON shareholding
    FOR EACH ROW EXECUTE FUNCTION enterprise_child_path();

-- Every share period lies inside one membership period of the same household.
CREATE FUNCTION check_shares_held_by_members(enterprise bigint, households bigint[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
    s shareholding%ROWTYPE;
BEGIN
    SELECT * INTO s FROM shareholding x
     WHERE x.enterprise_id = enterprise AND x.household_id = ANY(households)
       AND NOT EXISTS (
           SELECT 1 FROM enterprise_member m
            WHERE m.enterprise_id = x.enterprise_id AND m.household_id = x.household_id
              AND m.joined_on <= x.valid_from
              AND (m.left_on IS NULL OR (x.valid_to IS NOT NULL AND x.valid_to <= m.left_on)))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'household % holds % shares from % to % without being a member of enterprise % for that whole period',
            s.household_id, s.share_class, s.valid_from, coalesce(s.valid_to::text, 'now'), enterprise
            USING ERRCODE = 'check_violation', CONSTRAINT = 'shareholding_member_only';
    END IF;
END
$$;

CREATE FUNCTION shareholding_member_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RETURN NULL;
    END IF;
    PERFORM check_shares_held_by_members(NEW.enterprise_id, ARRAY[NEW.household_id]);
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER shareholding_member_only AFTER INSERT OR UPDATE ON shareholding
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION shareholding_member_only();

CREATE FUNCTION member_keeps_shares_covered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM check_shares_held_by_members(OLD.enterprise_id, ARRAY[OLD.household_id]);
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER enterprise_member_keeps_shares AFTER UPDATE OR DELETE ON enterprise_member
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION member_keeps_shares_covered();

-- Annual accounts, in the income-distribution order ------------------------------------
CREATE TABLE annual_account (
    id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise_id              bigint NOT NULL REFERENCES collective_enterprise (id) ON DELETE CASCADE,
    area_path                  ltree NOT NULL,
    year                       int NOT NULL CONSTRAINT account_year_range CHECK (year BETWEEN 1950 AND 2200),
    revenue_fen                bigint NOT NULL,
    expenses_fen               bigint NOT NULL,
    income_fen                 bigint NOT NULL,   -- revenue - expenses (may be a loss)
    opening_undistributed_fen  bigint NOT NULL,   -- last year's closing
    distributable_fen          bigint NOT NULL,
    reserve_fund_fen           bigint NOT NULL,   -- 公积公益金
    welfare_fund_fen           bigint NOT NULL,
    investor_returns_fen       bigint NOT NULL,
    dividend_pool_fen          bigint NOT NULL,   -- distribution to member households
    other_distributions_fen    bigint NOT NULL,
    closing_undistributed_fen  bigint NOT NULL,   -- next year's opening
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT annual_account_year_key UNIQUE (enterprise_id, year),
    -- 10^15 fen = 10 trillion yuan: no sum of these can overflow bigint
    CONSTRAINT account_amounts_range CHECK (
        greatest(abs(revenue_fen), abs(expenses_fen), abs(income_fen),
                 abs(opening_undistributed_fen), abs(distributable_fen), abs(reserve_fund_fen),
                 abs(welfare_fund_fen), abs(investor_returns_fen), abs(dividend_pool_fen),
                 abs(other_distributions_fen), abs(closing_undistributed_fen)) <= 1000000000000000),
    CONSTRAINT account_amounts_non_negative CHECK (
        revenue_fen >= 0 AND expenses_fen >= 0 AND reserve_fund_fen >= 0 AND welfare_fund_fen >= 0
        AND investor_returns_fen >= 0 AND dividend_pool_fen >= 0 AND other_distributions_fen >= 0),
    CONSTRAINT account_income_identity CHECK (income_fen = revenue_fen - expenses_fen),
    CONSTRAINT account_distributable_identity CHECK (
        distributable_fen = income_fen + opening_undistributed_fen),
    CONSTRAINT account_closing_identity CHECK (
        closing_undistributed_fen = distributable_fen - reserve_fund_fen - welfare_fund_fen
            - investor_returns_fen - dividend_pool_fen - other_distributions_fen),
    CONSTRAINT account_pool_limit CHECK (
        dividend_pool_fen <= distributable_fen - reserve_fund_fen - welfare_fund_fen
            - investor_returns_fen)
);
CREATE INDEX annual_account_area_path_gist ON annual_account USING gist (area_path);
CREATE INDEX annual_account_year ON annual_account (year);

-- Disclosures 财务公开 (declared before the locks that consult them)
CREATE TABLE disclosure (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise_id    bigint NOT NULL REFERENCES collective_enterprise (id) ON DELETE CASCADE,
    account_id       bigint NOT NULL REFERENCES annual_account (id) ON DELETE CASCADE,
    -- the account's distribution as it stood when published (NULL: none yet)
    distribution_id  bigint,
    area_path        ltree NOT NULL,
    published_on     date NOT NULL,
    publishes_lines  boolean NOT NULL DEFAULT false,
    note             text CONSTRAINT disclosure_note_check CHECK (length(note) <= 500),
    published_by     text NOT NULL DEFAULT coalesce(nullif(current_setting('gongzhi.subject', true), ''),
                                                    current_user),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX disclosure_area_path_gist ON disclosure USING gist (area_path);
CREATE INDEX disclosure_enterprise ON disclosure (enterprise_id, published_on DESC);
CREATE INDEX disclosure_account ON disclosure (account_id);
CREATE INDEX disclosure_distribution ON disclosure (distribution_id);

CREATE FUNCTION account_before_write() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
    founded date;
BEGIN
    IF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM disclosure WHERE account_id = OLD.id) THEN
        RAISE EXCEPTION 'the % account of enterprise % has been disclosed and can no longer change',
            OLD.year, OLD.enterprise_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'account_published_locked';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    SELECT area_path, founded_on INTO NEW.area_path, founded
      FROM collective_enterprise WHERE id = NEW.enterprise_id;
    IF NEW.year < extract(year FROM founded) THEN
        RAISE EXCEPTION 'an account for % precedes the enterprise''s founding on %', NEW.year, founded
            USING ERRCODE = 'check_violation', CONSTRAINT = 'account_after_founding';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER account_before_write BEFORE INSERT OR UPDATE OR DELETE ON annual_account
    FOR EACH ROW EXECUTE FUNCTION account_before_write();
CREATE TRIGGER account_forget_checks AFTER INSERT OR UPDATE OR DELETE ON annual_account
    FOR EACH STATEMENT EXECUTE FUNCTION enterprise_forget_checks();

-- An enterprise's accounts run year after year with no gap, and each year opens with
-- what the year before closed with.
CREATE FUNCTION check_account_chain(enterprise bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT a.year, a.opening_undistributed_fen AS opening,
               lag(a.year) OVER w AS prev_year, lag(a.closing_undistributed_fen) OVER w AS prev_closing
          FROM annual_account a WHERE a.enterprise_id = enterprise
        WINDOW w AS (ORDER BY a.year) ORDER BY a.year
    LOOP
        CONTINUE WHEN r.prev_year IS NULL;
        IF r.prev_year <> r.year - 1 THEN
            RAISE EXCEPTION 'enterprise % has accounts for % and % but none in between',
                enterprise, r.prev_year, r.year
                USING ERRCODE = 'check_violation', CONSTRAINT = 'account_years_contiguous';
        END IF;
        IF r.opening <> r.prev_closing THEN
            RAISE EXCEPTION 'the % opening undistributed income (% fen) must equal the % closing undistributed income (% fen)',
                r.year, r.opening, r.prev_year, r.prev_closing
                USING ERRCODE = 'check_violation', CONSTRAINT = 'account_opening_carry_over';
        END IF;
    END LOOP;
END
$$;

CREATE FUNCTION account_carry_over() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM check_account_chain(OLD.enterprise_id);
    ELSE
        PERFORM check_account_chain(NEW.enterprise_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER account_carry_over AFTER INSERT OR UPDATE OR DELETE ON annual_account
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION account_carry_over();

-- Dividend distributions and their lines ------------------------------------------------
CREATE TABLE dividend_distribution (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise_id  bigint NOT NULL REFERENCES collective_enterprise (id) ON DELETE CASCADE,
    account_id     bigint NOT NULL REFERENCES annual_account (id) ON DELETE CASCADE,
    area_path      ltree NOT NULL,
    year           int NOT NULL,  -- the account's, copied by trigger
    basis          dividend_basis NOT NULL,
    -- households holding shares (per_share) or being members (per_household, per_member)
    -- on this day take part; it fixes the units of every line
    record_date    date NOT NULL,
    paid_on        date,
    pool_fen       bigint NOT NULL CONSTRAINT distribution_pool_positive CHECK (pool_fen > 0),
    units          bigint NOT NULL CONSTRAINT distribution_units_positive CHECK (units > 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dividend_distribution_account_key UNIQUE (account_id),
    CONSTRAINT distribution_paid_after_record CHECK (paid_on IS NULL OR paid_on >= record_date)
);
CREATE INDEX dividend_distribution_area_path_gist ON dividend_distribution USING gist (area_path);
CREATE INDEX dividend_distribution_enterprise ON dividend_distribution (enterprise_id, year);

CREATE TABLE dividend_line (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    distribution_id  bigint NOT NULL REFERENCES dividend_distribution (id) ON DELETE CASCADE,
    household_id     bigint NOT NULL REFERENCES household (id) ON DELETE RESTRICT,
    area_path        ltree NOT NULL,
    units            bigint NOT NULL CONSTRAINT dividend_line_units_positive CHECK (units > 0),
    amount_fen       bigint NOT NULL CONSTRAINT dividend_line_amount_check CHECK (amount_fen >= 0),
    CONSTRAINT dividend_line_household_key UNIQUE (distribution_id, household_id)
);
CREATE INDEX dividend_line_area_path_gist ON dividend_line USING gist (area_path);
CREATE INDEX dividend_line_household ON dividend_line (household_id);

-- Who takes part in a distribution on its record date, with how many units: the shares
-- held (all classes), one per household, or the household's members.
CREATE FUNCTION dividend_eligible(enterprise bigint, basis dividend_basis, on_date date)
RETURNS TABLE (household_id bigint, units bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
    WITH members AS (
        SELECT DISTINCT m.household_id FROM enterprise_member m
         WHERE m.enterprise_id = enterprise AND m.joined_on <= on_date
           AND (m.left_on IS NULL OR m.left_on >= on_date))
    SELECT h.household_id,
           CASE basis
               WHEN 'per_share' THEN (SELECT sum(s.quantity) FROM shareholding s
                                       WHERE s.enterprise_id = enterprise
                                         AND s.household_id = h.household_id
                                         AND s.valid_from <= on_date
                                         AND (s.valid_to IS NULL OR s.valid_to >= on_date))::bigint
               WHEN 'per_household' THEN 1::bigint
               ELSE (SELECT count(*) FROM resident r WHERE r.household_id = h.household_id)
           END AS units
      FROM members h
$$;

CREATE FUNCTION distribution_before_write() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND EXISTS (SELECT 1 FROM disclosure WHERE distribution_id = OLD.id) THEN
        RAISE EXCEPTION 'distribution % has been disclosed and can no longer change', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'distribution_published_locked';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    SELECT a.enterprise_id, a.area_path, a.year INTO NEW.enterprise_id, NEW.area_path, NEW.year
      FROM annual_account a WHERE a.id = NEW.account_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER distribution_before_write BEFORE INSERT OR UPDATE OR DELETE ON dividend_distribution
    FOR EACH ROW EXECUTE FUNCTION distribution_before_write();
CREATE TRIGGER distribution_forget_checks AFTER INSERT OR UPDATE OR DELETE ON dividend_distribution
    FOR EACH STATEMENT EXECUTE FUNCTION enterprise_forget_checks();

CREATE FUNCTION dividend_line_before_write() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM disclosure
                WHERE distribution_id = CASE WHEN TG_OP = 'INSERT' THEN NEW.distribution_id
                                             ELSE OLD.distribution_id END) THEN
        RAISE EXCEPTION 'distribution % has been disclosed and its lines can no longer change',
            CASE WHEN TG_OP = 'INSERT' THEN NEW.distribution_id ELSE OLD.distribution_id END
            USING ERRCODE = 'check_violation', CONSTRAINT = 'distribution_published_locked';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    SELECT area_path INTO NEW.area_path FROM dividend_distribution WHERE id = NEW.distribution_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER dividend_line_before_write BEFORE INSERT OR UPDATE OR DELETE ON dividend_line
    FOR EACH ROW EXECUTE FUNCTION dividend_line_before_write();
CREATE TRIGGER dividend_line_forget_checks AFTER INSERT OR UPDATE OR DELETE ON dividend_line
    FOR EACH STATEMENT EXECUTE FUNCTION enterprise_forget_checks();

-- A distribution against its account and its lines, exactly:
--   pool = the account's dividend pool; lines only for member households, each with the
--   units the basis gives it on the record date; every such household has a line;
--   sum(units) = units; sum(amount) = pool; and each amount is the largest-remainder
--   share of the pool: floor(pool * units_i / units), plus one fen for the
--   (pool - sum of floors) lines with the largest remainders (ties: lower household id).
--   So per-unit amount (pool / units, exact) x units = pool to the fen, and no line is
--   off its exact share by a fen or more.
CREATE FUNCTION check_distribution(dist bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
    d dividend_distribution%ROWTYPE;
    a annual_account%ROWTYPE;
    bad record;
    total_units numeric;
    total_amount numeric;
BEGIN
    SELECT * INTO d FROM dividend_distribution WHERE id = dist;
    IF NOT FOUND THEN
        RETURN;  -- deleted in this transaction; its lines went with it
    END IF;
    SELECT * INTO a FROM annual_account WHERE id = d.account_id;
    IF d.pool_fen <> a.dividend_pool_fen THEN
        RAISE EXCEPTION 'distribution pool % fen differs from the % account''s dividend pool % fen',
            d.pool_fen, a.year, a.dividend_pool_fen
            USING ERRCODE = 'check_violation', CONSTRAINT = 'distribution_pool_matches_account';
    END IF;
    SELECT l.household_id INTO bad FROM dividend_line l
     WHERE l.distribution_id = dist
       AND NOT EXISTS (SELECT 1 FROM enterprise_member m
                        WHERE m.enterprise_id = d.enterprise_id AND m.household_id = l.household_id
                          AND m.joined_on <= d.record_date
                          AND (m.left_on IS NULL OR m.left_on >= d.record_date))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'household % has a dividend line but was not a member on the record date %',
            bad.household_id, d.record_date
            USING ERRCODE = 'check_violation', CONSTRAINT = 'distribution_members_only';
    END IF;
    SELECT l.household_id, l.units, coalesce(e.units, 0) AS expected INTO bad
      FROM dividend_line l
      LEFT JOIN dividend_eligible(d.enterprise_id, d.basis, d.record_date) e USING (household_id)
     WHERE l.distribution_id = dist AND l.units IS DISTINCT FROM nullif(e.units, 0)
     ORDER BY l.household_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'household %''s line counts % units; by % on % it has %',
            bad.household_id, bad.units, d.basis, d.record_date, bad.expected
            USING ERRCODE = 'check_violation', CONSTRAINT = 'distribution_line_units';
    END IF;
    SELECT e.household_id INTO bad FROM dividend_eligible(d.enterprise_id, d.basis, d.record_date) e
     WHERE e.units > 0 AND NOT EXISTS (SELECT 1 FROM dividend_line l
                        WHERE l.distribution_id = dist AND l.household_id = e.household_id)
     ORDER BY e.household_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'household % takes part in the distribution (% on %) but has no line',
            bad.household_id, d.basis, d.record_date
            USING ERRCODE = 'check_violation', CONSTRAINT = 'distribution_covers_members';
    END IF;
    SELECT coalesce(sum(l.units), 0), coalesce(sum(l.amount_fen), 0) INTO total_units, total_amount
      FROM dividend_line l WHERE l.distribution_id = dist;
    IF total_units <> d.units THEN
        RAISE EXCEPTION 'the lines count % units, the distribution % units', total_units, d.units
            USING ERRCODE = 'check_violation', CONSTRAINT = 'distribution_units_total';
    END IF;
    IF total_amount <> d.pool_fen THEN
        RAISE EXCEPTION 'the lines sum to % fen, the dividend pool is % fen', total_amount, d.pool_fen
            USING ERRCODE = 'check_violation', CONSTRAINT = 'distribution_lines_sum';
    END IF;
    SELECT x.household_id, x.amount_fen, x.expected INTO bad FROM (
        SELECT f.household_id, f.amount_fen,
               f.base + CASE WHEN row_number() OVER (ORDER BY f.remainder DESC, f.household_id)
                                  <= d.pool_fen - sum(f.base) OVER () THEN 1 ELSE 0 END AS expected
          FROM (SELECT l.household_id, l.amount_fen,
                       floor((d.pool_fen::numeric * l.units) / d.units)::bigint AS base,
                       (d.pool_fen::numeric * l.units) % d.units AS remainder
                  FROM dividend_line l WHERE l.distribution_id = dist) f) x
     WHERE x.amount_fen <> x.expected ORDER BY x.household_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'household %''s dividend is % fen; the largest-remainder share of the pool for its units is % fen',
            bad.household_id, bad.amount_fen, bad.expected
            USING ERRCODE = 'check_violation', CONSTRAINT = 'distribution_allocation';
    END IF;
END
$$;

-- The memo lives here, not in check_distribution: a function with a SET clause (the
-- definer's search_path) undoes every setting made inside it when it returns.
CREATE FUNCTION distribution_identities() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    dist bigint;
    memo text := coalesce(current_setting('gongzhi.checked_distributions', true), '');
BEGIN
    CASE TG_TABLE_NAME
        WHEN 'dividend_distribution' THEN
            dist := NEW.id;
        WHEN 'dividend_line' THEN
            dist := CASE WHEN TG_OP = 'DELETE' THEN OLD.distribution_id ELSE NEW.distribution_id END;
        WHEN 'annual_account' THEN
            dist := (SELECT id FROM dividend_distribution WHERE account_id = NEW.id);
    END CASE;
    IF dist IS NULL OR position(',' || dist || ',' IN memo) > 0 THEN
        RETURN NULL;
    END IF;
    PERFORM check_distribution(dist);
    PERFORM set_config('gongzhi.checked_distributions', memo || ',' || dist || ',', true);
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER distribution_identities AFTER INSERT OR UPDATE ON dividend_distribution
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION distribution_identities();
CREATE CONSTRAINT TRIGGER dividend_line_identities AFTER INSERT OR UPDATE OR DELETE ON dividend_line
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION distribution_identities();
CREATE CONSTRAINT TRIGGER account_distribution_identities AFTER UPDATE OF dividend_pool_fen ON annual_account
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION distribution_identities();

-- Disclosure rows: filled from the account, dated no later than today, never changed.
CREATE FUNCTION disclosure_before_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
    SELECT a.enterprise_id, a.area_path INTO NEW.enterprise_id, NEW.area_path
      FROM annual_account a WHERE a.id = NEW.account_id;
    SELECT d.id INTO NEW.distribution_id FROM dividend_distribution d WHERE d.account_id = NEW.account_id;
    IF NEW.published_on > current_date THEN
        RAISE EXCEPTION 'a disclosure is dated when it is published, not in the future (%)', NEW.published_on
            USING ERRCODE = 'check_violation', CONSTRAINT = 'disclosure_not_future';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER disclosure_before_insert BEFORE INSERT ON disclosure
    FOR EACH ROW EXECUTE FUNCTION disclosure_before_insert();
-- published is published: no update; the service role has no DELETE either (operators
-- replacing the demo data delete as the owner)
CREATE TRIGGER disclosure_append_only BEFORE UPDATE ON disclosure
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TRIGGER enterprise_touch_checks AFTER UPDATE ON collective_enterprise
    FOR EACH STATEMENT EXECUTE FUNCTION enterprise_forget_checks();

-- Row-level security: the area subtree; residents read their own household's rows and
-- what has been disclosed for the enterprises of their area ------------------------------
ALTER TABLE collective_enterprise ENABLE ROW LEVEL SECURITY;
CREATE POLICY collective_enterprise_read ON collective_enterprise FOR SELECT
    USING (gongzhi_reads(area_path) OR gongzhi_household_path() <@ area_path);
ALTER TABLE enterprise_member ENABLE ROW LEVEL SECURITY;
CREATE POLICY enterprise_member_read ON enterprise_member FOR SELECT
    USING (gongzhi_reads(area_path) OR household_id = gongzhi_household());
ALTER TABLE shareholding ENABLE ROW LEVEL SECURITY;
CREATE POLICY shareholding_read ON shareholding FOR SELECT
    USING (gongzhi_reads(area_path) OR household_id = gongzhi_household());
ALTER TABLE disclosure ENABLE ROW LEVEL SECURITY;
CREATE POLICY disclosure_read ON disclosure FOR SELECT
    USING (gongzhi_reads(area_path) OR gongzhi_household_path() <@ area_path);
ALTER TABLE annual_account ENABLE ROW LEVEL SECURITY;
CREATE POLICY annual_account_read ON annual_account FOR SELECT
    USING (gongzhi_reads(area_path)
           OR (gongzhi_household_path() <@ area_path
               AND EXISTS (SELECT 1 FROM disclosure x WHERE x.account_id = annual_account.id)));
ALTER TABLE dividend_line ENABLE ROW LEVEL SECURITY;
CREATE POLICY dividend_line_read ON dividend_line FOR SELECT
    USING (gongzhi_reads(area_path) OR household_id = gongzhi_household()
           OR (gongzhi_household_path() <@ area_path
               AND EXISTS (SELECT 1 FROM disclosure x
                            WHERE x.distribution_id = dividend_line.distribution_id
                              AND x.publishes_lines)));
ALTER TABLE dividend_distribution ENABLE ROW LEVEL SECURITY;
CREATE POLICY dividend_distribution_read ON dividend_distribution FOR SELECT
    USING (gongzhi_reads(area_path)
           OR (gongzhi_household_path() <@ area_path
               AND EXISTS (SELECT 1 FROM disclosure x
                            WHERE x.distribution_id = dividend_distribution.id))
           OR EXISTS (SELECT 1 FROM dividend_line l
                       WHERE l.distribution_id = dividend_distribution.id
                         AND l.household_id = gongzhi_household()));

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['collective_enterprise', 'enterprise_member', 'shareholding',
                             'annual_account', 'dividend_distribution', 'dividend_line',
                             'disclosure']
    LOOP
        EXECUTE format('CREATE POLICY %1$s_insert ON %1$I FOR INSERT
                            WITH CHECK (gongzhi_enterprise_writes(area_path))', t);
        EXECUTE format('CREATE POLICY %1$s_update ON %1$I FOR UPDATE
                            USING (gongzhi_enterprise_writes(area_path))
                            WITH CHECK (gongzhi_enterprise_writes(area_path))', t);
        EXECUTE format('CREATE POLICY %1$s_delete ON %1$I FOR DELETE
                            USING (gongzhi_enterprise_writes(area_path))', t);
        EXECUTE format('CREATE TRIGGER %1$s_audit AFTER INSERT OR UPDATE OR DELETE ON %1$I
                            FOR EACH ROW EXECUTE FUNCTION audit_capture()', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE ON collective_enterprise, enterprise_member, shareholding,
    annual_account, dividend_distribution, dividend_line TO gongzhi_app;
-- replacing shares that start on the same day, and an undisclosed distribution's lines
GRANT DELETE ON shareholding, dividend_distribution, dividend_line TO gongzhi_app;
GRANT SELECT, INSERT ON disclosure TO gongzhi_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO gongzhi_app;
GRANT EXECUTE ON FUNCTION dividend_eligible(bigint, dividend_basis, date) TO gongzhi_app;
"""

DOWNGRADE = r"""
DROP TABLE disclosure, dividend_line, dividend_distribution, annual_account, shareholding,
    enterprise_member, collective_enterprise;
DROP FUNCTION distribution_identities, check_distribution, dividend_line_before_write,
    distribution_before_write, dividend_eligible, account_carry_over, check_account_chain,
    account_before_write, disclosure_before_insert, member_keeps_shares_covered,
    shareholding_member_only, check_shares_held_by_members, enterprise_member_before_write,
    enterprise_forget_checks, enterprise_child_path, enterprise_before_write,
    gongzhi_household_path, gongzhi_enterprise_writes, gb32100_valid, gb32100_check_char;
DROP TYPE dividend_basis, share_class, enterprise_kind;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
