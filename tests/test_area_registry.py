"""Rules A1-A5 of the area registry and reading areas.csv, without a database."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from validation.area_registry import (
    AreaRow,
    Change,
    Outcome,
    UnusableInput,
    check_areas,
    code_format_error,
    parse_areas_csv,
    referenced_codes,
)

HEADER = "code,name,level,parent_code\n"
CHAIN = [
    ("51", "四川省", "province", ""),
    ("5101", "成都市", "city", "51"),
    ("510129", "大邑县", "county", "5101"),
    ("510129101", "鹤鸣镇", "town", "510129"),
    ("510129101201", "大坪村", "village", "510129101"),
    ("510129101201-03", "福康花园小区", "compound", "510129101201"),
    ("510129101201-03-05", "5栋", "building", "510129101201-03"),
]


@dataclass(frozen=True)
class Stored:
    name: str
    level: str
    parent_code: str | None


def rows(*values: tuple[str, str, str, str]) -> list[AreaRow]:
    return [AreaRow(i, *v) for i, v in enumerate(values, start=1)]


def stored_chain(upto: int) -> dict[str, Stored]:
    """The first ``upto`` areas of CHAIN, as already stored."""
    return {code: Stored(name, level, parent or None) for code, name, level, parent in CHAIN[:upto]}


def errors_of(outcome: Outcome, row: int) -> list[tuple[str, str]]:
    verdict = next(v for v in outcome.verdicts if v.row.row == row)
    return [(f.rule, f.message) for f in verdict.errors]


def rules_of(outcome: Outcome, row: int) -> list[str]:
    return [rule for rule, _ in errors_of(outcome, row)]


# Reading ----------------------------------------------------------------------------


def test_reads_rows_with_their_data_row_numbers() -> None:
    data = (HEADER + "51,四川省,province,\n5101,成都市,city,51\n").encode()
    assert parse_areas_csv(data) == [
        AreaRow(1, "51", "四川省", "province", ""),
        AreaRow(2, "5101", "成都市", "city", "51"),
    ]


def test_bom_is_tolerated() -> None:
    data = "\ufeff".encode() + (HEADER + "51,四川省,province,\n").encode()
    assert parse_areas_csv(data)[0].code == "51"


def test_columns_in_any_order_and_values_stripped() -> None:
    data = "parent_code, level ,name,code\r\n5101, city,成都市 , 510129 \r\n".encode()
    assert parse_areas_csv(data) == [AreaRow(1, "510129", "成都市", "city", "5101")]


def test_quoted_values_may_hold_commas() -> None:
    data = (HEADER + '510129101201-03,"福康花园小区,二期",compound,510129101201\n').encode()
    assert parse_areas_csv(data)[0].name == "福康花园小区,二期"


def test_blank_rows_are_skipped_but_keep_their_number() -> None:
    data = (HEADER + "51,四川省,province,\n\n,,,\n5101,成都市,city,51\n").encode()
    assert [r.row for r in parse_areas_csv(data)] == [1, 4]


def test_header_only_is_no_rows() -> None:
    assert parse_areas_csv(HEADER.encode()) == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"code,name,level\n51,x,province\n", 'missing column "parent_code"'),
        (b"code,name,level,parent_code,note\n", 'unknown column "note"'),
        (b"code,name,level,parent_code,\n", "unknown column (an empty column name)"),
        (b"code,name,level,parent_code,code\n", 'column "code" appears twice'),
        (b"code;name;level;parent_code\n", "separated by commas"),
        (b"PK\x03\x04\x14\x00\x06\x00binary", "binary"),
        ("code,name,level,parent_code\n51,四川省,province,\n".encode("gbk"), "not UTF-8"),
        ("code,name,level,parent_code\n".encode("utf-16"), "UTF-16"),
        (b'code,name,level,parent_code\n51,"x,province,\n', "not valid CSV"),
        (b"code,name,level,parent_code\n51,a,b,province,\n", "has 5 fields"),
    ],
)
def test_unusable_input(data: bytes, reason: str) -> None:
    with pytest.raises(UnusableInput, match=re.escape(reason)):
        parse_areas_csv(data)


def test_referenced_codes_are_codes_and_parents() -> None:
    assert referenced_codes(rows(CHAIN[1], CHAIN[2], ("", "x", "town", ""))) == {
        "51",
        "5101",
        "510129",
    }


# A1 code format ----------------------------------------------------------------------


def test_the_whole_chain_is_accepted() -> None:
    outcome = check_areas(rows(*CHAIN), {})
    assert outcome.rejected == []
    assert [v.change for v in outcome.verdicts] == [Change.CREATE] * len(CHAIN)


@pytest.mark.parametrize(("code", "name", "level", "parent"), CHAIN)
def test_a1_accepts_each_levels_format(code: str, name: str, level: str, parent: str) -> None:
    assert code_format_error(code, level) is None


@pytest.mark.parametrize(
    ("code", "level", "message"),
    [
        ("51012910120", "village", 'code "51012910120" has 11 digits; a village code has 12'),
        ("5101291012011", "village", "has 13 digits; a village code has 12"),
        ("51012910", "town", "has 8 digits; a town code has 9"),
        ("510I29", "county", 'code "510I29" is not all digits 0-9'),
        ("５１", "province", "is not all digits 0-9"),  # full-width digits
        ("", "city", "code is empty; a city code has 4 digits"),
        ("510129101201", "compound", 'has 1 part(s) separated by "-"; a compound code is'),
        ("51012910120-03", "compound", 'starts with "51012910120"; a compound code starts'),
        ("510129101201-0 3", "compound", 'the local part "0 3" has characters other than'),
        ("510129101201-", "compound", "the local part is empty"),
        ("510129101201-03", "building", "has 2 part(s)"),
        ("510129101201-03-5号", "building", '"5号" has characters other than A-Z'),
    ],
)
def test_a1_names_the_value_and_what_is_wrong(code: str, level: str, message: str) -> None:
    problem = code_format_error(code, level)
    assert problem is not None and message in problem


def test_a1_rejects_the_row() -> None:
    outcome = check_areas(rows(*CHAIN[:4], ("51012910120", "大坪村", "village", "510129101")), {})
    assert errors_of(outcome, 5) == [
        ("A1", 'code "51012910120" has 11 digits; a village code has 12')
    ]
    assert [v.row.row for v in outcome.accepted] == [1, 2, 3, 4]


def test_a1_stored_code_keeps_its_level() -> None:
    stored = stored_chain(5)
    outcome = check_areas(rows(("510129101201", "大坪村", "town", "510129")), stored)
    assert errors_of(outcome, 1) == [
        (
            "A1",
            'code "510129101201" is stored as a village, not a town; an area\'s level never '
            "changes",
        )
    ]


# A2 parent ---------------------------------------------------------------------------


def test_a2_unknown_parent() -> None:
    outcome = check_areas(rows(("510129101", "鹤鸣镇", "town", "510129")), {})
    assert errors_of(outcome, 1) == [
        ("A2", 'parent_code "510129" is neither in this file nor stored')
    ]


def test_a2_stored_parent_is_enough() -> None:
    outcome = check_areas(rows(CHAIN[4]), stored_chain(4))
    assert outcome.rejected == []
    assert outcome.verdicts[0].change is Change.CREATE


def test_a2_parents_may_come_after_their_children() -> None:
    outcome = check_areas(rows(*reversed(CHAIN)), {})
    assert outcome.rejected == []


def test_a2_parent_must_be_one_level_up() -> None:
    outcome = check_areas(rows(CHAIN[0], CHAIN[1], ("510129101", "鹤鸣镇", "town", "5101")), {})
    assert errors_of(outcome, 3) == [
        ("A2", 'parent "5101" is a city; a town\'s parent is a county'),
    ]


def test_a2_code_must_extend_the_parent_code() -> None:
    outcome = check_areas(rows(("510130101", "金马镇", "town", "510129")), stored_chain(3))
    assert errors_of(outcome, 1) == [
        ("A2", 'code "510130101" does not start with its parent\'s code "510129"')
    ]


def test_a2_compound_extends_its_village_with_a_dash() -> None:
    stored = stored_chain(5) | {
        "510129101202": Stored("放牛村", "village", "510129101"),
    }
    outcome = check_areas(rows(("510129101202-03", "蓉西新城", "compound", "510129101201")), stored)
    assert errors_of(outcome, 1) == [
        ("A2", 'code "510129101202-03" does not start with its parent\'s code "510129101201-"')
    ]


def test_a2_province_has_no_parent_and_others_need_one() -> None:
    outcome = check_areas(
        rows(("51", "四川省", "province", "50"), ("5101", "成都市", "city", "")), {}
    )
    assert errors_of(outcome, 1) == [("A2", 'a province has no parent, but parent_code is "50"')]
    assert errors_of(outcome, 2) == [("A2", "parent_code is empty; a city belongs to a province")]


def test_a2_own_code_as_parent() -> None:
    outcome = check_areas(rows(("5101", "成都市", "city", "5101")), {})
    assert rules_of(outcome, 1) == ["A2"]


def test_a2_stored_area_keeps_its_parent() -> None:
    stored = stored_chain(5) | {"510129102": Stored("金马镇", "town", "510129")}
    outcome = check_areas(rows(("510129101201", "大坪村", "village", "510129102")), stored)
    assert errors_of(outcome, 1)[0] == (
        "A2",
        'code "510129101201" is stored under "510129101"; its parent cannot change to "510129102"',
    )


def test_a2_children_of_a_rejected_row_are_rejected_naming_it() -> None:
    bad_town = ("510129101", "鹤鸣镇", "twn", "510129")
    outcome = check_areas(rows(*CHAIN[:3], bad_town, *CHAIN[4:]), {})
    assert rules_of(outcome, 4) == ["A3"]
    assert errors_of(outcome, 5) == [
        ("A2", 'parent "510129101" (row 4) is rejected, so this row cannot be stored either')
    ]
    # and down the tree, whatever the order of the rows
    assert errors_of(outcome, 6) == [
        (
            "A2",
            'parent "510129101201" (row 5) is rejected, so this row cannot be stored either',
        )
    ]
    assert rules_of(outcome, 7) == ["A2"]


def test_a2_cascade_does_not_depend_on_row_order() -> None:
    bad_town = ("510129101", "鹤鸣镇", "twn", "510129")
    outcome = check_areas(rows(*reversed([*CHAIN[:3], bad_town, *CHAIN[4:]])), {})
    assert [v.row.code for v in outcome.accepted] == ["510129", "5101", "51"]


def test_a2_child_of_a_rejected_row_whose_area_is_stored_is_judged_against_the_store() -> None:
    # The stored town is the parent whatever the file's row for it says.
    bad_town = ("510129101", "", "town", "510129")
    outcome = check_areas(rows(bad_town, CHAIN[4]), stored_chain(4))
    assert rules_of(outcome, 1) == ["A5"]
    assert outcome.verdicts[1].accepted


# A3 level ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "message"),
    [
        (
            "district",
            'level "district" is not one of province, city, county, town, village, '
            'compound, building (did you mean "county"?)',
        ),
        ("Village", 'level "Village" is not one of'),
        ("村", '(did you mean "village"?)'),
        ("hamlet", 'level "hamlet" is not one of'),
        ("", "level is empty"),
    ],
)
def test_a3_unknown_level(level: str, message: str) -> None:
    outcome = check_areas(rows(("510129", "大邑县", level, "5101")), stored_chain(2))
    [(rule, text)] = errors_of(outcome, 1)
    assert rule == "A3" and message in text


def test_a3_known_level_passes() -> None:
    assert check_areas(rows(CHAIN[2]), stored_chain(2)).rejected == []


# A4 duplicate code -------------------------------------------------------------------


def test_a4_exact_repeat_keeps_the_first() -> None:
    outcome = check_areas(rows(CHAIN[0], CHAIN[1], CHAIN[1]), {})
    assert [v.row.row for v in outcome.accepted] == [1, 2]
    assert errors_of(outcome, 3) == [("A4", 'code "5101" already appears in row 2')]


def test_a4_conflicting_repeat_rejects_every_occurrence_and_their_children() -> None:
    outcome = check_areas(rows(CHAIN[0], CHAIN[1], ("5101", "绵阳市", "city", "51"), CHAIN[2]), {})
    assert errors_of(outcome, 2) == [
        (
            "A4",
            'code "5101" appears again in row 3 with a different name, level or parent; the '
            "file does not say which is right",
        )
    ]
    assert errors_of(outcome, 3) == [
        ("A4", 'code "5101" already appears in row 2 with a different name, level or parent')
    ]
    assert errors_of(outcome, 4) == [
        ("A2", 'parent "5101" (row 2) is rejected, so this row cannot be stored either')
    ]
    assert [v.row.row for v in outcome.accepted] == [1]


def test_a4_distinct_codes_pass() -> None:
    outcome = check_areas(rows(CHAIN[0], ("50", "重庆市", "province", "")), {})
    assert outcome.rejected == []


# A5 name ------------------------------------------------------------------------------


def test_a5_name_is_required_and_bounded() -> None:
    outcome = check_areas(rows(("51", "", "province", ""), ("50", "重" * 101, "province", "")), {})
    assert errors_of(outcome, 1) == [("A5", "name is empty")]
    assert errors_of(outcome, 2) == [("A5", "name has 101 characters; a name has at most 100")]


# What storing does --------------------------------------------------------------------


def test_change_is_create_rename_or_none() -> None:
    stored = stored_chain(2)
    outcome = check_areas(rows(CHAIN[0], ("5101", "成都", "city", "51"), CHAIN[2]), stored)
    assert [v.change for v in outcome.verdicts] == [Change.NONE, Change.RENAME, Change.CREATE]
    assert outcome.changes(Change.RENAME) == [AreaRow(2, "5101", "成都", "city", "51")]


def test_rejected_rows_have_no_change() -> None:
    outcome = check_areas(rows(("51", "四川省", "state", "")), {})
    assert outcome.verdicts[0].change is None
