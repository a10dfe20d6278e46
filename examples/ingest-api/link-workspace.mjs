// Inside the monorepo, links the BUILT workspace packages into ./node_modules so that load.mjs
// imports them by name exactly as an outside service would (`import … from '@refdata/ingest'`).
// Outside the monorepo, `npm install` does the same from the registry. Run `pnpm build` first.
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const links = {
  '@refdata/ingest': join(root, 'packages', 'ingest'),
  '@refdata/db': join(root, 'packages', 'db'),
  'better-sqlite3': join(root, 'packages', 'db', 'node_modules', 'better-sqlite3'),
};
for (const [name, target] of Object.entries(links)) {
  if (name.startsWith('@refdata/') && !existsSync(join(target, 'dist', 'index.js'))) {
    throw new Error(`${name} is not built: run \`pnpm build\` at the repository root first.`);
  }
  const at = join(here, 'node_modules', name);
  mkdirSync(dirname(at), { recursive: true });
  rmSync(at, { recursive: true, force: true });
  symlinkSync(relative(dirname(at), target), at, 'dir');
  process.stdout.write(`linked ${name} → ${relative(here, target)}\n`);
}
