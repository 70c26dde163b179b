"""Data Docs of audit runs, for auditors: ``GET /audit/runs/{run_id}/docs/`` (an index of
the run's suites) and ``.../docs/{suite}.html`` (Great Expectations' page for that suite,
rendered when the run finished and stored with it, so any process can serve it).

The bearer token decides: only auditors and admins (403 otherwise, 401 without a valid
token), and row-level security (``gongzhi_audits``, migration 0009) hides a run scoped
outside an auditor's area: such a run answers 404, as an unknown one does.
"""

from __future__ import annotations

import html
import uuid

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from db import audit_runs as db
from db.session import Session
from gongzhi.auth import AuthError
from gongzhi.principals import Authenticator

AUDIT_ROLES = ("auditor", "admin")


async def audit_docs(request: Request) -> Response:
    authenticator = getattr(request.app.state, "audit_authenticator", None)
    if authenticator is None:
        authenticator = Authenticator(request.state.settings)
        request.app.state.audit_authenticator = authenticator
    pool = request.state.pool
    try:
        principal = await authenticator.principal(request.headers.get("authorization"), pool)
    except AuthError as exc:
        return PlainTextResponse(str(exc), status_code=401)
    if principal is None:
        return PlainTextResponse("send a bearer token", status_code=401)
    if principal.role not in AUDIT_ROLES:
        return PlainTextResponse("audit runs are for auditors", status_code=403)
    try:
        run_id = uuid.UUID(request.path_params["run_id"])
    except ValueError:
        return PlainTextResponse("no such run", status_code=404)
    page = request.path_params.get("page", "")
    async with Session(pool, principal).transaction(read_only=True) as conn:
        if page in ("", "index.html"):
            suites = await db.docs_suites(conn, run_id)
            body = None if not suites else _index(run_id, suites)
        elif page.endswith(".html"):
            body = await db.docs_page(conn, run_id, page.removesuffix(".html"))
        else:
            body = None
    if body is None:
        return PlainTextResponse("no such run or page", status_code=404)
    return HTMLResponse(body)


def _index(run_id: uuid.UUID, suites: list[str]) -> str:
    links = "".join(
        f'<li><a href="{html.escape(s)}.html">{html.escape(s)}</a></li>' for s in suites
    )
    return (
        f"<!doctype html><meta charset=utf-8><title>Audit run {run_id}</title>"
        f"<h1>Audit run {run_id}</h1><ul>{links}</ul>"
    )
