"""The committed SDL is the code's schema: a change to one without the other fails here."""

from __future__ import annotations

from gongzhi.cli.sdl import SDL_FILE, current_sdl


def test_committed_sdl_matches_code() -> None:
    assert SDL_FILE.read_text(encoding="utf-8") == current_sdl(), (
        "schema/schema.graphql is out of date: run `gongzhi sdl --write` and review the diff"
    )


def test_entities_carry_federation_keys() -> None:
    sdl = current_sdl()
    assert 'type Area implements Node @key(fields: "id") @key(fields: "code")' in sdl
    assert 'type Household implements Node @key(fields: "id")' in sdl
    assert 'type Resident implements Node @key(fields: "id")' in sdl
    assert "federation/v2" in sdl
