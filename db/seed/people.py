"""Demo households and residents: who lives at each address ``places`` planned.

A household is drawn from a template (an old person alone, a couple with children,
three generations, grandparents with left-behind grandchildren, ...) whose weights
differ between villages and urban communities; ages, genders and relations follow from
the template so that children are younger than their parents and a son is male. Care
tags and roles are derived afterwards from what was drawn (an elderly person alone is
one nobody else lives with), so they stay consistent with the household.

Ages are as of ``AS_OF``, not today, so one seed gives the same rows on any day.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from db.seed.names import NamePicker
from db.seed.numbers import NumberMaker
from db.seed.places import COUNTY, Site, Village

AS_OF = dt.date(2026, 1, 1)
HOME_REGION = COUNTY[0]
# Other Sichuan counties migrants and in-marrying spouses come from.
OTHER_REGIONS = (
    *("510104", "510105", "510115", "510116", "510121", "510131", "510181", "510182"),
    *("510183", "510184", "510681", "510704", "510802", "511321", "511324", "511623"),
    *("511725", "511304", "510922", "511502", "513030"),
)
# Templates: relative frequency in villages (村), urban communities and renters' flats.
_TEMPLATES = (
    "single_elderly",
    "single_adult",
    "couple_old",
    "couple_young",
    "nuclear",
    "single_parent",
    "three_gen_up",
    "three_gen_down",
    "skipped_gen",
    "siblings",
)
_RURAL_WEIGHTS = (7, 5, 15, 3, 25, 4, 9, 21, 8, 3)
_URBAN_WEIGHTS = (5, 10, 13, 8, 40, 5, 9, 7, 1, 2)
_RENTER_WEIGHTS = (0, 38, 0, 20, 38, 0, 0, 0, 0, 4)
_URBAN_RENTERS = 0.12
_COURTYARD_RENTERS = 0.20
_MARRIAGE_AGE = {True: 22, False: 20}  # by "is male": the legal minimum


@dataclass(slots=True, eq=False)
class Person:
    name: str
    gender: str
    birth: dt.date
    age: int
    relation: str
    region: str
    surname: str
    # None: not anyone's child here; (): a child whose parents live elsewhere
    parents: tuple[Person, ...] | None = None
    registered: bool = True
    lives: bool = True
    id_number: str | None = None
    phone: str | None = None
    tags: list[str] = field(default_factory=list)
    party: bool = False
    roles: list[str] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Household:
    site: Site
    unit: str | None
    room: str
    members: list[Person]


class PeopleGenerator:
    """Draws every household of a village from one seeded generator."""

    def __init__(self, rng: random.Random, taken_ids: set[str]) -> None:
        self.rng = rng
        self.names = NamePicker(rng)
        self.numbers = NumberMaker(rng, taken_ids)
        self._year_start = {y: dt.date(y, 1, 1).toordinal() for y in range(1880, AS_OF.year + 1)}

    # -- one village -------------------------------------------------------------------

    def village(self, village: Village) -> list[Household]:
        rng = self.rng
        rural = not village.urban
        households: list[Household] = []
        for site in village.sites:
            renters = 0.0 if rural else _COURTYARD_RENTERS if not site.building else _URBAN_RENTERS
            for unit, room in site.addresses:
                renting = rng.random() < renters
                members = self._compose(rural, renting)
                self._residence(members, rural, renting)
                households.append(Household(site, unit, room, members))
        for household in households:
            self._finish(household)
        self._household_tags(households, rural)
        self._roles(village, households)
        return households

    # -- composition -------------------------------------------------------------------

    def _compose(self, rural: bool, renting: bool) -> list[Person]:
        rng = self.rng
        weights = _RENTER_WEIGHTS if renting else _RURAL_WEIGHTS if rural else _URBAN_WEIGHTS
        template = rng.choices(_TEMPLATES, weights)[0]
        region = rng.choice(OTHER_REGIONS) if renting and rng.random() < 0.85 else HOME_REGION
        if not renting and not rural and rng.random() < 0.2:
            region = rng.choice(OTHER_REGIONS)  # moved to town from elsewhere long ago
        surname = self.names.surname()

        if template == "single_elderly":
            male = rng.random() < 0.4  # women outlive their husbands
            return [self._person("self", male, rng.randint(70, 96), region, surname)]
        if template == "single_adult":
            age = rng.randint(40, 69) if rural and rng.random() < 0.6 else rng.randint(20, 69)
            return [self._person("self", rng.random() < 0.6, age, region, surname)]
        if template == "siblings":
            age = rng.randint(20, 60)
            head = self._person("self", rng.random() < 0.6, age, region, surname)
            sibling_age = max(16, age + rng.randint(-8, 8))
            sibling = self._person("sibling", rng.random() < 0.5, sibling_age, region, surname)
            return [head, sibling]
        if template == "couple_old":
            return self._couple(rng.randint(55, 88), region, surname)
        if template == "couple_young":
            return self._couple(rng.randint(22, 38), region, surname)
        if template == "nuclear":
            members = self._couple(rng.randint(26, 55), region, surname)
            self._children(members, members[0], members[1], surname)
            return members
        if template == "single_parent":
            male = rng.random() < 0.25
            head = self._person("self", male, rng.randint(28, 55), region, surname)
            members = [head]
            self._children(members, head, None, surname, most=2)
            return members
        if template == "three_gen_up":
            members = self._couple(rng.randint(28, 55), region, surname)
            self._children(members, members[0], members[1], surname)
            head = members[0]
            self._parents(members, head, region)
            return members
        if template == "three_gen_down":
            members = self._couple(rng.randint(50, 75), region, surname)
            head, spouse = members
            mother, father = (spouse, head) if spouse.gender == "female" else (head, spouse)
            son_age = mother.age - rng.randint(22, 32)
            if son_age < _MARRIAGE_AGE[True]:
                self._children(members, head, spouse, surname)
                return members
            # A married son, or a daughter whose husband married in (上门女婿). Children-in-law
            # have no code of their own in the enum: GB/T 4761 groups them under "other".
            son_stays = rng.random() < 0.75
            surname = father.surname
            relation = "son" if son_stays else "daughter"
            child = self._person(relation, son_stays, son_age, region, surname)
            child.parents = (head, spouse)
            in_law_region = HOME_REGION if rng.random() < 0.75 else rng.choice(OTHER_REGIONS)
            in_law_age = max(
                _MARRIAGE_AGE[not son_stays],
                son_age - rng.randint(-1, 4) * (1 if son_stays else -1),
            )
            in_law = self._person("other", not son_stays, in_law_age, in_law_region)
            members += [child, in_law]
            mother = in_law if son_stays else child
            for _ in range(rng.choices((1, 2, 3), (50, 40, 10))[0]):
                age = mother.age - rng.randint(20, 36)
                if age >= 0:
                    male = rng.random() < 0.52
                    grandchild = self._person("grandchild", male, age, region, surname)
                    grandchild.parents = (child, in_law)
                    members.append(grandchild)
            return members
        # skipped_gen: grandparents raising grandchildren whose parents work elsewhere
        members = (
            self._couple(rng.randint(55, 78), region, surname)
            if rng.random() < 0.75
            else [self._person("self", rng.random() < 0.35, rng.randint(55, 80), region, surname)]
        )
        for _ in range(rng.choices((1, 2), (65, 35))[0]):
            male = rng.random() < 0.52
            child = self._person("grandchild", male, rng.randint(1, 15), region, surname)
            child.parents = ()
            members.append(child)
        return members

    def _couple(self, head_age: int, region: str, surname: str) -> list[Person]:
        rng = self.rng
        male_head = rng.random() < 0.78
        gap = max(-3, min(12, round(rng.gauss(2.0, 3.0))))
        spouse_age = max(
            _MARRIAGE_AGE[not male_head], head_age - gap if male_head else head_age + gap
        )
        spouse_region = region if rng.random() < 0.75 else rng.choice(OTHER_REGIONS)
        head = self._person("self", male_head, head_age, region, surname)
        spouse = self._person("spouse", not male_head, spouse_age, spouse_region)
        return [head, spouse]

    def _children(
        self,
        members: list[Person],
        head: Person,
        spouse: Person | None,
        surname: str,
        most: int = 3,
    ) -> None:
        rng = self.rng
        mother = head if spouse is None or head.gender == "female" else spouse
        father = spouse if mother is head else head
        surname = father.surname if father is not None else surname
        count = rng.choices((1, 2, 3), (50, 40, 10))[0]
        for _ in range(min(count, most)):
            age = mother.age - rng.randint(21, 38)
            if age < 0:
                continue
            male = rng.random() < 0.52
            child = self._person("son" if male else "daughter", male, age, head.region, surname)
            child.parents = tuple(p for p in (head, spouse) if p is not None)
            members.append(child)

    def _parents(self, members: list[Person], head: Person, region: str) -> None:
        rng = self.rng
        father_age = head.age + rng.randint(22, 36)
        surname = head.surname
        if rng.random() < 0.45 and father_age <= 95:
            members.append(self._person("parent", True, father_age, region, surname))
        mother_age = father_age - rng.randint(0, 4)
        if mother_age <= 98:
            members.append(self._person("parent", False, mother_age, region))
        if head.age <= 35 and rng.random() < 0.3 and mother_age + 25 <= 100:
            members.append(self._person("grandparent", False, mother_age + 25, region))

    def _person(
        self, relation: str, male: bool, age: int, region: str, surname: str | None = None
    ) -> Person:
        rng = self.rng
        year = AS_OF.year - 1 - age
        birth = dt.date.fromordinal(self._year_start[year] + int(rng.random() * 365))
        gender = "male" if male else "female"
        real_age = AS_OF.year - birth.year - ((AS_OF.month, AS_OF.day) < (birth.month, birth.day))
        surname = surname or self.names.surname()
        name = surname + self.names.given(gender, birth.year)
        return Person(name, gender, birth, real_age, relation, region, surname)

    # -- where people live, IDs, phones, personal tags ----------------------------------

    def _residence(self, members: list[Person], rural: bool, renting: bool) -> None:
        rng = self.rng
        if renting:
            for p in members:
                p.registered = False
            return
        if rural:
            # 外出务工: working-age villagers registered here but living in the city. Children
            # stay behind with whoever is at home (留守儿童), but never on their own.
            for p in members:
                if 18 <= p.age <= 50:
                    p.lives = rng.random() >= 0.30
            for p in members:
                if p.parents and p.age < 16 and not any(x.lives for x in p.parents):
                    carers = [x for x in members if x.lives and x.age >= 18]
                    if not carers:
                        p.parents[0].lives = True
            return
        for p in members:
            if 18 <= p.age <= 45 and rng.random() < (0.03 if p.relation == "self" else 0.07):
                p.lives = False
            elif p.relation == "spouse" and rng.random() < 0.05:
                p.registered = False  # household registration kept in the home county

    def _finish(self, household: Household) -> None:
        rng = self.rng
        members = household.members
        only_one_home = sum(p.lives for p in members) == 1
        for p in members:
            p.id_number, p.birth = self.numbers.resident_id(p.region, p.birth, p.gender)
            p.phone = self.numbers.phone(p.age)
            age = p.age
            if age >= 70 and p.lives and only_one_home:
                p.tags.append("elderly_alone")
            parents = p.parents
            if age < 16 and p.lives and parents is not None and not any(x.lives for x in parents):
                p.tags.append("left_behind_child")
            disabled = 0.017 if age < 18 else 0.04 if age < 60 else 0.09 if age < 80 else 0.18
            if rng.random() < disabled:
                p.tags.append("disabled")
            if age >= 18:
                party = 0.035 if age < 30 else 0.055 if age < 45 else 0.085 if age < 60 else 0.11
                if age >= 75:
                    party = 0.13
                party *= 1.45 if p.gender == "male" else 0.55
                p.party = rng.random() < party

    # -- household tags and roles ------------------------------------------------------

    def _household_tags(self, households: list[Household], rural: bool) -> None:
        rng = self.rng
        for h in households:
            members = h.members
            if not members[0].registered:
                continue  # support is granted where one is registered
            needy = any("disabled" in p.tags or "elderly_alone" in p.tags for p in members)
            alone = len(members) == 1 and (members[0].age >= 60 or needy)
            # 特困: no one to support them and unable to work; not also on 低保.
            if alone and rng.random() < 0.2:
                members[0].tags.append("extreme_poverty")
                continue
            allowance = (0.035 if rural else 0.02) * (2.5 if needy else 1.0)
            if rng.random() < allowance:
                for p in members:
                    p.tags.append("subsistence_allowance")
            if rural and rng.random() < 0.05:
                for p in members:
                    p.tags.append("poverty_alleviated")

    def _roles(self, village: Village, households: list[Household]) -> None:
        by_site: dict[int, list[Household]] = {}
        for h in households:
            by_site.setdefault(id(h.site), []).append(h)
        for site in village.sites:
            residents = [p for h in by_site.get(id(site), ()) for p in h.members]
            role = "building_head" if site.building else "courtyard_head"
            chosen = self._pick(residents, 30, 70, prefer_party=0.6)
            if chosen is not None:
                chosen.roles.append(role)
        everyone = [p for h in households for p in h.members]
        n = len(households)
        for role, count in (
            ("grid_worker", min(6, 2 + n // 400)),
            ("mediator", min(4, 1 + n // 600)),
        ):
            for _ in range(count):
                chosen = self._pick(everyone, 25, 60, prefer_party=0.4)
                if chosen is not None:
                    chosen.roles.append(role)

    def _pick(
        self, people: list[Person], youngest: int, oldest: int, prefer_party: float
    ) -> Person | None:
        rng = self.rng
        fits = [p for p in people if p.lives and p.registered and youngest <= p.age <= oldest]
        free = [p for p in fits if not p.roles] or fits or [p for p in people if p.age >= 18]
        if not free:
            return None
        party = [p for p in free if p.party]
        if party and rng.random() < prefer_party:
            return rng.choice(party)
        return rng.choice(free)
