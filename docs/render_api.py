"""Refresh the results in docs/api.md by running its queries against a server.

    gongzhi serve --demo           # prints an admin token
    python docs/render_api.py --url http://127.0.0.1:8000/graphql --token TOKEN

Each ```graphql block may be followed by a ```json block (its result); the json block is
rewritten, lists longer than --max-items shortened with a "…" marker so the page stays
readable. tests/test_docs_examples.py runs every query of the page on both read paths.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import httpx

PAGE = Path(__file__).with_name("api.md")
BLOCK = re.compile(r"```graphql\n(?P<query>.*?)```\n(?:\n```json\n.*?```\n)?", re.S)


def shorten(value: Any, max_items: int) -> Any:
    if isinstance(value, list):
        items = [shorten(v, max_items) for v in value[:max_items]]
        return items + ([f"… {len(value) - max_items} more"] if len(value) > max_items else [])
    if isinstance(value, dict):
        return {k: shorten(v, max_items) for k, v in value.items()}
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--token", required=True)
    parser.add_argument("--max-items", type=int, default=3)
    args = parser.parse_args()
    headers = {"Authorization": f"Bearer {args.token}"}

    def render(match: re.Match[str]) -> str:
        query = match.group("query")
        body = httpx.post(args.url, json={"query": query}, headers=headers, timeout=60).json()
        result = json.dumps(shorten(body, args.max_items), ensure_ascii=False, indent=2)
        return f"```graphql\n{query}```\n\n```json\n{result}\n```\n"

    PAGE.write_text(BLOCK.sub(render, PAGE.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
