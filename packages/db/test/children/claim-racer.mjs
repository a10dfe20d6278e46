// Claims /drop/incoming/f<i>.csv for i < count as fast as it can, once GO_FILE exists, in its
// own random order (so two racers contend over the same rows all along, rather than one running
// ahead of the other through the same sequence); prints the claimed paths, the number refused and when it started and ended as one JSON line.
const { openDatabase } = await import(process.env.REFDATA_DB_BUNDLE);
const [dbPath, instanceId, countText] = process.argv.slice(2);
const count = Number(countText);
const db = await openDatabase(`sqlite:${dbPath}`);

import { existsSync } from 'node:fs';

process.stdout.write('ready\n');
while (!existsSync(process.env.GO_FILE)) await new Promise((r) => setTimeout(r, 1));
const order = Array.from({ length: count }, (_, i) => i);
for (let i = order.length - 1; i > 0; i--) {
  const j = Math.floor(Math.random() * (i + 1));
  [order[i], order[j]] = [order[j], order[i]];
}
const claimed = [];
let refused = 0;
const startedAt = Date.now();
for (const i of order) {
  const path = `/drop/incoming/f${i}.csv`;
  const claim = await db.files.claimNew({ path, name: `f${i}.csv`, size: i }, { instanceId, leaseMs: 600_000 });
  if (claim !== null) {
    claimed.push(path);
    await db.files.update(claim, { status: 'processing' });
  } else {
    refused += 1;
  }
}
const endedAt = Date.now();
await db.close();
process.stdout.write(`${JSON.stringify({ claimed, refused, startedAt, endedAt })}\n`);
