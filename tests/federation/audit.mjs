// The GraphQL-over-HTTP conformance audit (npm graphql-http) against one endpoint.
//
//   node audit.mjs http://127.0.0.1:8000/graphql     (or --url URL, or AUDIT_URL)
//
// Prints one JSON document: {url, total, counts: {ok, warn, notice, error}, results: [{id,
// name, status, reason}]}, every audit included, and exits 1 when any audit is not "ok"
// (SHOULDs and MAYs included), 2 on bad usage.

import { serverAudits } from 'graphql-http';

import { option } from './args.mjs';

const positional = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
const url = positional ?? option('url', 'AUDIT_URL');
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  let result;
  try {
    result = await audit.fn();
  } catch (error) {
    // graphql-http throws only on fatal problems (e.g. the server is unreachable)
    result = { id: audit.id, name: audit.name, status: 'error', reason: `fatal: ${error}` };
  }
  results.push({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.status === 'ok' ? null : result.reason,
  });
}

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const { status } of results) counts[status] = (counts[status] ?? 0) + 1;

console.log(JSON.stringify({ url, total: results.length, counts, results }, null, 2));
process.exitCode = results.every((r) => r.status === 'ok') ? 0 : 1;
