// Repeats one operation (replace | restore | prune) on table "crash" until killed.
// Versions: version v has size(v) rows (v, i, payload) for i in 0..size(v)-1.
const { openDatabase } = await import(process.env.REFDATA_DB_BUNDLE);
const [dbPath, op] = process.argv.slice(2);
const size = (v) => 3000 + ((v * 7919) % 2000);
const columns = [
  { name: 'v', type: { kind: 'int' }, nullable: false },
  { name: 'i', type: { kind: 'int' }, nullable: false },
  { name: 'payload', type: { kind: 'text' }, nullable: true },
];
const db = await openDatabase(`sqlite:${dbPath}`, { keepBackups: op === 'prune' ? 1000 : 5 });
await db.migrate();
async function loadVersion(v) {
  const session = await db.beginLoad({ table: 'crash', columns, force: true, sourceFile: `v${v}.csv` });
  const n = size(v);
  for (let start = 0; start < n; start += 500) {
    const rows = [];
    for (let i = start; i < Math.min(n, start + 500); i++)
      rows.push({ line: i + 2, values: [v, i, `row ${i} of version ${v} ${'x'.repeat(40)}`] });
    await session.write(rows);
  }
  await session.validate();
  return session.commit();
}
let v = Number(process.env.START_VERSION ?? 1);
// The table exists before the first kill can land (a kill before the first commit would find no
// table at all, which says nothing about atomicity).
for (let k = 0; k < (op === 'replace' ? 1 : 3); k++) await loadVersion(v++);
process.stdout.write('ready\n');
for (;;) {
  if (op === 'replace') {
    await loadVersion(v++);
  } else if (op === 'restore') {
    const backups = await db.listBackups('crash');
    const pick = backups[Math.floor(Math.random() * backups.length)];
    await db.restoreBackup('crash', pick.snapshot);
  } else {
    for (let k = 0; k < 4; k++) await loadVersion(v++);
    await db.pruneBackups('crash', 1);
  }
}
