// The GraphQL-over-HTTP audit of the `graphql-http` package against a running Kehu.
//
//   KEHU_URL=http://127.0.0.1:8000/graphql KEHU_TOKEN=<jwt> node audit.mjs
//
// Every MUST and SHOULD audit has to pass; MAY audits are reported only. The audit sends its
// requests without credentials, so a wrapped fetch adds the bearer token: the server under
// audit is the production configuration, not one with authentication switched off.
import { auditServer } from 'graphql-http';

const url = process.env.KEHU_URL ?? 'http://127.0.0.1:8000/graphql';
const token = process.env.KEHU_TOKEN;
if (!token) {
  console.error('KEHU_TOKEN is required (a JWT the server accepts)');
  process.exit(2);
}

function withBearer(input, init = {}) {
  const headers = new Headers(init.headers ?? {});
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

const results = await auditServer({ url, fetchFn: withBearer });
const required = results.filter((r) => !r.name.startsWith('MAY'));
const failed = required.filter((r) => r.status !== 'ok');
const mayFailed = results.filter((r) => r.name.startsWith('MAY') && r.status !== 'ok');

for (const r of failed) {
  const body = await r.response?.text?.().catch(() => '');
  console.error(`FAIL ${r.id} ${r.name}: ${r.reason}\n  ${body ?? ''}`);
}
for (const r of mayFailed) console.log(`note (MAY) ${r.id} ${r.name}: ${r.reason}`);

const ok = results.filter((r) => r.status === 'ok').length;
console.log(
  `graphql-http audit: ${ok}/${results.length} audits ok; ` +
    `MUST+SHOULD ${required.length - failed.length}/${required.length}`,
);
process.exit(failed.length === 0 ? 0 : 1);
