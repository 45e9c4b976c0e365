// The official `graphql-ws` client against a running Kehu: subscribe, catch up, go live.
//
//   KEHU_WS_URL=ws://127.0.0.1:8000/graphql KEHU_TOKEN=<jwt> \
//   KEHU_APPEND_CMD='python -m conformance.probe --dsn ... --count 3' node ws_client.mjs
//
// KEHU_APPEND_CMD appends events and prints {"first": p, "last": q}. Probes appended before the
// subscription must arrive by catch-up, those appended after it live; each exactly once, in order.
import { execSync } from 'node:child_process';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const url = process.env.KEHU_WS_URL ?? 'ws://127.0.0.1:8000/graphql';
const token = process.env.KEHU_TOKEN;
const appendCmd = process.env.KEHU_APPEND_CMD;
if (!token || !appendCmd) {
  console.error('KEHU_TOKEN and KEHU_APPEND_CMD are required');
  process.exit(2);
}

const append = () => JSON.parse(execSync(appendCmd, { encoding: 'utf8' }).trim());
const range = ({ first, last }) => Array.from({ length: last - first + 1 }, (_, i) => first + i);

const before = append();
const expected = [...range(before)];
const received = [];
let wentLive = false;

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
  lazy: true,
});

const timeout = setTimeout(() => {
  console.error(`timed out; received ${JSON.stringify(received)}, expected ${expected}`);
  process.exit(1);
}, 20_000);

await new Promise((resolve, reject) => {
  const dispose = client.subscribe(
    {
      query:
        'subscription($after: Int, $types: [String!]) ' +
        '{ events(after: $after, types: $types) { position type streamId } }',
      variables: { after: before.first - 1, types: ['ConformanceProbe'] },
    },
    {
      next: ({ data, errors }) => {
        if (errors) return reject(new Error(JSON.stringify(errors)));
        received.push(data.events.position);
        if (!wentLive && received.length === expected.length) {
          wentLive = true; // caught up; now events committed while subscribed
          expected.push(...range(append()));
        }
        if (received.length >= expected.length) {
          dispose();
          resolve();
        }
      },
      error: (err) => reject(err instanceof Error ? err : new Error(JSON.stringify(err))),
      complete: () => resolve(),
    },
  );
});
clearTimeout(timeout);
await client.dispose();

const same = JSON.stringify(received) === JSON.stringify(expected);
console.log(
  `graphql-ws client: ${received.length} events received ` +
    `(${before.last - before.first + 1} catch-up, ${received.length - (before.last - before.first + 1)} live), ` +
    (same ? 'in order, none lost or repeated' : `MISMATCH: got ${received}, expected ${expected}`),
);
process.exit(same ? 0 : 1);
