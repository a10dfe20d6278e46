/**
 * Configuration: the seed's environment variables, an optional `refdata.config.json`, and flags
 * (flags win over the environment, which wins over the file, which wins over the defaults).
 * Everything is validated at start-up; an error names the setting, where it came from, what
 * arrived and what is allowed. Secret values are never echoed.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isDbError, parseDatabaseUrl } from '@refdata/db';
import type { SCHEMA_DRIFT_POLICIES as SCHEMA_DRIFT } from '@refdata/ingest';
import { CONFIG_FILE_NAME, type DatasetSettings, readConfigFile } from './config-file.js';
import { DEFAULT_DB_URL, maskUrl, type ResolvedDbUrl, resolveDbUrl } from './db-url.js';
import { AppError, AppErrorCode } from './errors.js';
import type { LogLevel } from './logger.js';
import { type MONITOR_MODES, SETTINGS, type SettingDef, type SettingSource } from './settings.js';

/** The validated configuration of one run. Frozen. */
export interface AppConfig {
  /** Absolute path of the drop root. */
  readonly root: string;
  /** Where the drop root setting came from (`the --root flag`, `the environment variable REFDATA_ROOT`, …). */
  readonly rootSource: string;
  /** The database, and where its setting came from (`the --db flag`, `the environment variable REFDATA_DB`, …). */
  readonly db: ResolvedDbUrl & {
    readonly source: string;
    /** DB_PASSWORD_FILE: the file holding the password, read for each new connection. */
    readonly passwordFile: string | undefined;
  };
  readonly database: {
    readonly poolSize: number;
    readonly maxRetries: number;
    readonly retryBackoffSeconds: number;
    readonly keepBackups: number;
    /** Time within which an unreachable SQL Server fails a command (connect, instance lookup and retries). */
    readonly connectTimeoutMs: number;
    /**
     * DB_TRUST_SERVER_CERTIFICATE / database.trustServerCertificate when set (it then wins over
     * the URL's `?trustServerCertificate=`); undefined: the URL decides (else false).
     */
    readonly trustServerCertificate: boolean | undefined;
    /** DB_CA_FILE / database.caFile: the SQL Server's CA certificate (PEM); wins over the URL's `?caFile=`. */
    readonly caFile: string | undefined;
  };
  readonly monitor: {
    readonly intervalSeconds: number;
    readonly stabilityChecks: number;
    readonly mode: (typeof MONITOR_MODES)[number];
    readonly requireMarker: boolean;
    readonly include: readonly string[] | undefined;
    readonly exclude: readonly string[] | undefined;
    readonly concurrency: number;
    readonly leaseMs: number;
    readonly gracePeriodMs: number;
  };
  readonly ingest: {
    readonly batchSize: number;
    readonly progressIntervalSeconds: number;
    readonly typeInference: boolean;
    readonly typeSampleRows: number;
    readonly maxErrors: number;
    readonly schemaDrift: (typeof SCHEMA_DRIFT)[number];
    readonly skipDuplicates: boolean;
  };
  readonly metrics: { readonly port: number | undefined; readonly host: string };
  /** Undefined when not configured (each command picks its own default). */
  readonly logLevel: LogLevel | undefined;
  /**
   * Log lines to a rotated file instead of stderr (undefined: stderr, as always). `frequency` is
   * `daily`, `hourly` or milliseconds.
   */
  readonly logFile:
    | {
        readonly path: string;
        readonly size: string;
        readonly frequency: 'daily' | 'hourly' | number;
        readonly keep: number;
      }
    | undefined;
  /** History retention of the running service (`maxAgeMs` undefined: keep everything). */
  readonly retention: { readonly maxAgeMs: number | undefined; readonly intervalMs: number };
  readonly datasets: readonly DatasetSettings[];
  /** The config file that was read, if any. */
  readonly configFile: string | undefined;
  /** Secret values to scrub from all output (passwords). */
  readonly secrets: readonly string[];
}

/** Inputs of {@link loadConfig}. */
export interface ConfigInputs {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Flag values by flag name (`--root` → value); strings as typed, or already-typed values. */
  readonly flags?: Readonly<Record<string, unknown>>;
  /** Explicit config file (`--config`); otherwise `REFDATA_CONFIG`, then the default lookup. */
  readonly configFile?: string | undefined;
  readonly cwd: string;
}

interface Picked {
  readonly value: unknown;
  readonly source: SettingSource;
  readonly def: SettingDef;
}

/**
 * Reads and validates the configuration. Throws `APP_CONFIG_INVALID` listing every problem, or
 * `APP_CONFIG_UNREADABLE` when the config file cannot be read.
 *
 * @example
 * ```ts
 * const config = loadConfig({ env: process.env, flags: { '--root': 'drop' }, cwd: process.cwd() });
 * config.monitor.intervalSeconds; // 15 unless MONITOR_INTERVAL says otherwise
 * ```
 */
export function loadConfig(inputs: ConfigInputs): AppConfig {
  const { env, cwd } = inputs;
  const flags = inputs.flags ?? {};
  const problems: string[] = [];

  const file = readConfigFile(inputs, problems);
  const fileDir = file === undefined ? cwd : dirname(file.path);

  const picked = new Map<string, Picked>();
  for (const def of SETTINGS) {
    const p = pick(def, env, flags, file?.data);
    if (p === undefined) continue;
    const coerced = coerce(def, p.value);
    const result = def.schema.safeParse(coerced);
    if (!result.success) {
      problems.push(`${label(def, p.source, file?.path)}: got ${show(def, p.value)}; allowed: ${def.allowed}.`);
      continue;
    }
    let value: unknown = result.data;
    if (def.path && typeof value === 'string') value = resolve(p.source === 'config file' ? fileDir : cwd, value);
    if (def.key === 'dbUrl' && p.source === 'config file' && typeof value === 'string') {
      value = rebaseSqlite(value, fileDir);
    }
    picked.set(def.key, { value, source: p.source, def });
  }

  const get = <T>(key: string): T => picked.get(key)?.value as T;

  let db: ResolvedDbUrl | undefined;
  try {
    db = resolveDbUrl(get<string | undefined>('dbUrl'), {
      host: get<string | undefined>('dbHost'),
      name: get<string | undefined>('dbName'),
      user: get<string | undefined>('dbUser'),
      password: get<string | undefined>('dbPassword'),
    });
  } catch (err) {
    const source = picked.get('dbUrl');
    const where = source === undefined ? 'database' : label(source.def, source.source, file?.path);
    problems.push(`${where}: ${(err as Error).message}`);
  }
  if (db?.dialect === 'mssql') {
    // The driver's own checks (encrypt=, parameter names, a login) before anything runs, in the
    // words of a config error: which setting, what is wrong, how to write it.
    const problem = sqlServerUrlProblem(db.url);
    if (problem !== undefined) {
      const fromUrl = picked.get('dbUrl');
      const noUser = fromUrl === undefined && picked.get('dbUser') === undefined;
      const where = noUser
        ? 'db_user (environment variable) / database.user (config file)'
        : fromUrl !== undefined
          ? label(fromUrl.def, fromUrl.source, file?.path)
          : [picked.get('dbHost'), picked.get('dbUser')]
              .filter((p): p is Picked => p !== undefined)
              .map((p) => label(p.def, p.source, file?.path))
              .join(' with ');
      const hint =
        fromUrl !== undefined
          ? 'Write it as mssql://USER@HOST:PORT/DB?encrypt=true (parameters: see the README of @refdata/db); the password goes in db_password.'
          : 'Set db_host, db_name and db_user (or one URL in --db / REFDATA_DB); the password goes in db_password.';
      problems.push(
        noUser
          ? `${where}: not set, and SQL Server (db_host) needs a login name. Set db_user; the password goes in db_password.`
          : `${where}: ${problem}. ${hint}`,
      );
      db = undefined;
    }
  }

  const caFile = picked.get('dbCaFile');
  if (caFile !== undefined) {
    const problem = caFileProblem(caFile.value as string);
    if (problem !== undefined) problems.push(`${label(caFile.def, caFile.source, file?.path)}: ${problem}`);
  }

  if (get<string | undefined>('dbPasswordFile') !== undefined && db?.password !== undefined) {
    problems.push(
      'DB_PASSWORD_FILE and db_password (or a password in the URL): give the SQL Server password once; keep DB_PASSWORD_FILE and remove the other.',
    );
  }

  const sourceOf = (key: string): string => {
    const p = picked.get(key);
    return p === undefined ? 'no setting' : origin(p.def, p.source, file?.path);
  };
  const dbSetting = picked.get('dbUrl') ?? picked.get('dbHost');
  const dbSource =
    dbSetting === undefined ? `the default ${DEFAULT_DB_URL}` : origin(dbSetting.def, dbSetting.source, file?.path);

  const datasets = file?.datasets ?? [];

  if (problems.length > 0 || db === undefined) {
    throw new AppError(
      AppErrorCode.CONFIG_INVALID,
      `Invalid configuration (nothing was done):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }

  const secrets = [get<string | undefined>('dbPassword'), db.password].filter(
    (s): s is string => typeof s === 'string' && s !== '',
  );

  const config: AppConfig = {
    root: get<string>('root'),
    rootSource: sourceOf('root'),
    db: { ...db, source: dbSource, passwordFile: get<string | undefined>('dbPasswordFile') },
    database: {
      poolSize: get('poolSize'),
      maxRetries: get('maxRetries'),
      retryBackoffSeconds: get('retryBackoffSeconds'),
      keepBackups: get('keepBackups'),
      connectTimeoutMs: Math.round(get<number>('connectTimeoutSeconds') * 1000),
      trustServerCertificate: get<boolean | undefined>('trustServerCertificate'),
      caFile: get<string | undefined>('dbCaFile'),
    },
    monitor: {
      intervalSeconds: get('intervalSeconds'),
      stabilityChecks: get('stabilityChecks'),
      mode: get('monitorMode'),
      requireMarker: get('requireMarker'),
      include: get('include'),
      exclude: get('exclude'),
      concurrency: get('concurrency'),
      leaseMs: Math.round(get<number>('leaseSeconds') * 1000),
      gracePeriodMs: Math.round(get<number>('gracePeriodSeconds') * 1000),
    },
    ingest: {
      batchSize: get('batchSize'),
      progressIntervalSeconds: get('progressIntervalSeconds'),
      typeInference: get('typeInference'),
      typeSampleRows: get('typeSampleRows'),
      maxErrors: get('maxErrors'),
      schemaDrift: get('schemaDrift'),
      skipDuplicates: get('skipDuplicates'),
    },
    metrics: { port: get('metricsPort'), host: get('metricsHost') },
    logLevel: get('logLevel'),
    logFile:
      get<string | undefined>('logFile') === undefined
        ? undefined
        : {
            path: get<string>('logFile'),
            size: get<string>('logFileSize').toLowerCase(),
            frequency: logFrequency(get<string>('logFileFrequency')),
            keep: get<number>('logFileKeep'),
          },
    retention: {
      maxAgeMs:
        get<number | undefined>('retentionDays') === undefined
          ? undefined
          : Math.round(get<number>('retentionDays') * 86_400_000),
      intervalMs: Math.round(get<number>('retentionIntervalSeconds') * 1000),
    },
    datasets,
    configFile: file?.path,
    secrets,
  };
  return deepFreeze(config);
}

/**
 * The TLS options the app passes to `openDatabase`. Precedence: an explicit
 * DB_TRUST_SERVER_CERTIFICATE / DB_CA_FILE (flag, environment or config file) wins over the URL's
 * `?trustServerCertificate=` / `?caFile=`, which wins over the default (verify, no extra CA). An
 * unset setting is left out, so the URL's explicit value is honoured.
 *
 * @example
 * ```ts
 * tlsOptions({ trustServerCertificate: undefined, caFile: '/etc/ssl/ca.pem' }); // { caFile: '/etc/ssl/ca.pem' }
 * ```
 */
export function tlsOptions(database: Pick<AppConfig['database'], 'trustServerCertificate' | 'caFile'>): {
  trustServerCertificate?: boolean;
  caFile?: string;
} {
  return {
    ...(database.trustServerCertificate === undefined
      ? {}
      : { trustServerCertificate: database.trustServerCertificate }),
    ...(database.caFile === undefined ? {} : { caFile: database.caFile }),
  };
}

/** Why the CA file cannot be used (missing, unreadable, no PEM certificate), or undefined. */
function caFileProblem(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return `${JSON.stringify(path)} cannot be read (${typeof code === 'string' ? code : String(err)}). Give the path of a readable PEM file holding the SQL Server's CA certificate (or its self-signed certificate).`;
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    return `${JSON.stringify(path)} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line). Give the SQL Server's CA certificate in PEM form.`;
  }
  return undefined;
}

function pick(
  def: SettingDef,
  env: Readonly<Record<string, string | undefined>>,
  flags: Readonly<Record<string, unknown>>,
  file: Readonly<Record<string, unknown>> | undefined,
): Picked | undefined {
  if (def.flag !== undefined && flags[def.flag] !== undefined) return { value: flags[def.flag], source: 'flag', def };
  for (const name of [def.env, def.envAlias]) {
    if (name === undefined) continue;
    const v = env[name];
    if (v !== undefined && v !== '') return { value: v, source: 'environment', def: { ...def, env: name } };
  }
  if (def.file !== undefined && file !== undefined) {
    let cur: unknown = file;
    for (const part of def.file.split('.')) {
      cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[part] : undefined;
    }
    if (cur !== undefined) return { value: cur, source: 'config file', def };
  }
  if (def.default !== undefined) return { value: def.default, source: 'default', def };
  return undefined;
}

function coerce(def: SettingDef, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  switch (def.kind) {
    case 'int':
    case 'number':
      return /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : value;
    case 'boolean': {
      const lower = text.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(lower)) return true;
      if (['false', '0', 'no', 'off'].includes(lower)) return false;
      return value;
    }
    case 'list':
      return text === ''
        ? []
        : text
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '');
    default:
      return def.secret ? value : text;
  }
}

function label(def: SettingDef, source: SettingSource, filePath: string | undefined): string {
  switch (source) {
    case 'flag':
      return `${def.flag} (command-line flag)`;
    case 'environment':
      return `${def.env} (environment variable)`;
    case 'config file':
      return `${def.file} (in ${filePath ?? CONFIG_FILE_NAME})`;
    default:
      return `${def.env ?? def.key} (default)`;
  }
}

/**
 * What @refdata/db would refuse in a SQL Server URL, in words that do not point at the library's
 * options (its message ends with a hint for library users, such as `sqlite::memory:`).
 */
function sqlServerUrlProblem(url: string): string | undefined {
  try {
    parseDatabaseUrl(url);
    return undefined;
  } catch (err) {
    if (!isDbError(err)) throw err;
    return maskUrl(err.message)
      .replace(/\.\s*Use sqlite:.*$/s, '')
      .replace(/^The SQL Server URL/, 'the URL')
      .replace(/^The database URL/, 'the URL');
  }
}

/** Where a setting came from, in words that fit in a sentence: `the --db flag`, `database.url in /srv/refdata.config.json`. */
function origin(def: SettingDef, source: SettingSource, filePath: string | undefined): string {
  switch (source) {
    case 'flag':
      return `the ${def.flag} flag`;
    case 'environment':
      return `the environment variable ${def.env}`;
    case 'config file':
      return `${def.file} in ${filePath ?? CONFIG_FILE_NAME}`;
    default:
      return `the default ${JSON.stringify(def.default)}`;
  }
}

function show(def: SettingDef, value: unknown): string {
  if (def.secret) return '(a value, not shown)';
  if (def.url && typeof value === 'string') return JSON.stringify(maskUrl(value));
  return JSON.stringify(value) ?? String(value);
}

function rebaseSqlite(url: string, dir: string): string {
  const m = /^sqlite:(.*)$/i.exec(url);
  if (m === null) return url;
  const path = m[1] ?? '';
  if (path === '' || path === ':memory:' || isAbsolute(path)) return url;
  return `sqlite:${resolve(dir, path)}`;
}

/** `daily`, `hourly`, or seconds as milliseconds (pino-roll's `frequency`). */
function logFrequency(text: string): 'daily' | 'hourly' | number {
  return text === 'daily' || text === 'hourly' ? text : Number(text) * 1000;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
