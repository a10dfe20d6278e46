// Opens the SQL Server database at argv[2], begins a load of table argv[3] and stages argv[4]
// rows, prints "staged", then waits (for the SIGKILL the test sends) with the load still open.
const { openDatabase } = await import(process.env.REFDATA_DB_BUNDLE);
const [url, table, countText] = process.argv.slice(2);
const db = await openDatabase(url);
await db.migrate();
const session = await db.beginLoad({
  table,
  columns: [
    { name: 'code', type: { kind: 'text', maxLength: 10 }, nullable: false },
    { name: 'n', type: { kind: 'int' }, nullable: true },
  ],
});
const rows = Array.from({ length: Number(countText) }, (_v, i) => ({ line: i + 2, values: [`C${i}`, i] }));
await session.write(rows.slice(0, 100));
await session.write(rows.slice(100));
process.stdout.write('staged\n');
setInterval(() => {}, 1000);
