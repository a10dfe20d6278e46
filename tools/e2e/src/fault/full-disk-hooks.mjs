// Module hooks for full-disk.mjs: `better-sqlite3` resolves to a wrapper whose Database
// constructor sets the page limit on every new connection.
const PREFIX = 'refdata-fault:';

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'better-sqlite3') {
    const real = await nextResolve(specifier, context);
    return { url: `${PREFIX}${real.url}`, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith(PREFIX)) return nextLoad(url, context);
  const real = url.slice(PREFIX.length);
  const pages = Number(process.env.REFDATA_FAULT_MAX_PAGES);
  const source = `
import Base from ${JSON.stringify(real)};
const pages = ${Number.isSafeInteger(pages) && pages > 0 ? pages : 0};
function Database(...args) {
  const db = new Base(...args);
  if (pages > 0) db.pragma('max_page_count = ' + pages);
  return db;
}
Database.prototype = Base.prototype;
Object.setPrototypeOf(Database, Base);
export default Database;
`;
  return { format: 'module', source, shortCircuit: true };
}
