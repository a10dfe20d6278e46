// Holds the write lock of a SQLite database for HOLD_MS milliseconds (BEGIN EXCLUSIVE), then releases it.
import Database from 'better-sqlite3';

const [dbPath, holdText] = process.argv.slice(2);
const db = new Database(dbPath);
db.exec('BEGIN EXCLUSIVE');
process.stdout.write('locked\n');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(holdText));
db.exec('COMMIT');
db.close();
process.stdout.write('released\n');
