/**
 * Configuration: the seed's environment variables, an optional `refdata.config.json`, and flags
 * (flags win over the environment, which wins over the file, which wins over the defaults).
 * Everything is validated at start-up; an error names the setting, where it came from, what
 * arrived and what is allowed. Secret values are never echoed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isDbError, parseDatabaseUrl } from '@refdata/db';
import { ENCODINGS } from '@refdata/detect';
import { INGEST_LIMITS, LOAD_MODES, SCHEMA_DRIFT_POLICIES as SCHEMA_DRIFT } from '@refdata/ingest';
import { MONITOR_DEFAULTS } from '@refdata/monitor';
import { z } from 'zod';
import { DEFAULT_DB_URL, maskUrl, type ResolvedDbUrl, resolveDbUrl } from './db-url.js';
import { AppError, AppErrorCode } from './errors.js';
import { LOG_LEVELS, type LogLevel } from './logger.js';

/** Name of the optional config file looked up in the working directory, then in the drop root. */
export const CONFIG_FILE_NAME = 'refdata.config.json';

const MONITOR_MODES = ['poll', 'watch'] as const;
const COLUMN_KINDS = ['boolean', 'integer', 'decimal', 'date', 'datetime', 'time', 'uuid', 'text'] as const;

/** Where a setting's value came from. */
export type SettingSource = 'flag' | 'environment' | 'config file' | 'default';

type Kind = 'string' | 'int' | 'number' | 'boolean' | 'list';

/** The definition of one scalar setting (used for validation, error messages and the README table). */
export interface SettingDef {
  /** Key in the flat settings object. */
  readonly key: string;
  /** Environment variable (the seed's name where the seed has one). */
  readonly env?: string;
  /** Dotted path in `refdata.config.json`. */
  readonly file?: string;
  /** Command-line flag. */
  readonly flag?: string;
  readonly kind: Kind;
  /** Validates the coerced value. */
  readonly schema: z.ZodType;
  /** What is allowed, in words (appears in error messages). */
  readonly allowed: string;
  readonly default?: unknown;
  /** Never echo the value. */
  readonly secret?: boolean;
  /** The value is a URL whose password must be masked when echoed. */
  readonly url?: boolean;
  /** The value is a path; from the config file it is relative to the file's folder. */
  readonly path?: boolean;
}

const int = (min: number, max: number): z.ZodType => z.number().int().min(min).max(max);
const num = (min: number, max: number, exclusiveMin = false): z.ZodType =>
  exclusiveMin ? z.number().gt(min).max(max) : z.number().min(min).max(max);
const nonEmpty = z.string().min(1);

/** Every scalar setting of the app. */
export const SETTINGS: readonly SettingDef[] = [
  {
    key: 'root',
    env: 'REFDATA_ROOT',
    file: 'root',
    flag: '--root',
    kind: 'string',
    schema: nonEmpty,
    allowed: 'a folder path',
    default: './drop',
    path: true,
  },
  {
    key: 'dbUrl',
    env: 'REFDATA_DB',
    file: 'database.url',
    flag: '--db',
    kind: 'string',
    schema: nonEmpty,
    allowed: 'sqlite:PATH or mssql://USER@HOST:PORT/DB?encrypt=true',
    url: true,
  },
  { key: 'dbHost', env: 'db_host', file: 'database.host', kind: 'string', schema: nonEmpty, allowed: 'a host name' },
  {
    key: 'dbName',
    env: 'db_name',
    file: 'database.name',
    kind: 'string',
    schema: nonEmpty,
    allowed: 'a database name',
  },
  { key: 'dbUser', env: 'db_user', file: 'database.user', kind: 'string', schema: nonEmpty, allowed: 'a login name' },
  {
    key: 'dbPassword',
    env: 'db_password',
    kind: 'string',
    schema: z.string(),
    allowed: 'the SQL Server password (environment only)',
    secret: true,
  },
  {
    key: 'poolSize',
    env: 'DB_POOL_SIZE',
    file: 'database.poolSize',
    kind: 'int',
    schema: int(1, 1000),
    allowed: 'a whole number from 1 to 1000',
    default: 10,
  },
  {
    key: 'maxRetries',
    env: 'DB_MAX_RETRIES',
    file: 'database.maxRetries',
    kind: 'int',
    schema: int(0, 100),
    allowed: 'a whole number from 0 to 100',
    default: 3,
  },
  {
    key: 'retryBackoffSeconds',
    env: 'DB_RETRY_BACKOFF',
    file: 'database.retryBackoffSeconds',
    kind: 'number',
    schema: num(0, 3600),
    allowed: 'seconds from 0 to 3600',
    default: 1,
  },
  {
    key: 'keepBackups',
    env: 'KEEP_BACKUPS',
    file: 'database.keepBackups',
    kind: 'int',
    schema: int(1, 10_000),
    allowed: 'a whole number from 1 to 10000',
    default: 10,
  },
  {
    key: 'connectTimeoutSeconds',
    env: 'DB_CONNECT_TIMEOUT',
    file: 'database.connectTimeoutSeconds',
    kind: 'number',
    schema: num(0, 3600, true),
    allowed: 'seconds greater than 0 and at most 3600',
    default: 15,
  },
  {
    key: 'trustServerCertificate',
    env: 'DB_TRUST_SERVER_CERTIFICATE',
    file: 'database.trustServerCertificate',
    kind: 'boolean',
    schema: z.boolean(),
    allowed: 'true or false',
    default: false,
  },
  {
    key: 'intervalSeconds',
    env: 'MONITOR_INTERVAL',
    file: 'monitor.intervalSeconds',
    flag: '--interval',
    kind: 'number',
    schema: num(0, 86_400, true),
    allowed: 'seconds greater than 0 and at most 86400 (fractions allowed)',
    default: MONITOR_DEFAULTS.intervalSeconds,
  },
  {
    key: 'stabilityChecks',
    env: 'STABILITY_CHECKS',
    file: 'monitor.stabilityChecks',
    flag: '--stability-checks',
    kind: 'int',
    schema: int(1, 1000),
    allowed: 'a whole number from 1 to 1000',
    default: MONITOR_DEFAULTS.stabilityChecks,
  },
  {
    key: 'monitorMode',
    env: 'MONITOR_MODE',
    file: 'monitor.mode',
    flag: '--mode',
    kind: 'string',
    schema: z.enum(MONITOR_MODES),
    allowed: 'poll or watch',
    default: MONITOR_DEFAULTS.mode,
  },
  {
    key: 'requireMarker',
    env: 'MONITOR_REQUIRE_MARKER',
    file: 'monitor.requireMarker',
    kind: 'boolean',
    schema: z.boolean(),
    allowed: 'true or false',
    default: false,
  },
  {
    key: 'include',
    env: 'MONITOR_INCLUDE',
    file: 'monitor.include',
    kind: 'list',
    schema: z.array(nonEmpty).min(1),
    allowed: 'one or more glob patterns (comma-separated in the environment)',
  },
  {
    key: 'exclude',
    env: 'MONITOR_EXCLUDE',
    file: 'monitor.exclude',
    kind: 'list',
    schema: z.array(nonEmpty),
    allowed: 'glob patterns (comma-separated in the environment)',
  },
  {
    key: 'concurrency',
    env: 'MONITOR_CONCURRENCY',
    file: 'monitor.concurrency',
    flag: '--concurrency',
    kind: 'int',
    // The ingestor runs as many files at once as the monitor hands over: its limit applies.
    schema: int(INGEST_LIMITS.concurrency.min, INGEST_LIMITS.concurrency.max),
    allowed: `a whole number from ${INGEST_LIMITS.concurrency.min} to ${INGEST_LIMITS.concurrency.max}`,
    default: MONITOR_DEFAULTS.concurrency,
  },
  {
    key: 'leaseSeconds',
    env: 'MONITOR_LEASE',
    file: 'monitor.leaseSeconds',
    kind: 'number',
    schema: num(1, 86_400),
    allowed: 'seconds from 1 to 86400',
    default: MONITOR_DEFAULTS.leaseMs / 1000,
  },
  {
    key: 'gracePeriodSeconds',
    env: 'SHUTDOWN_GRACE_PERIOD',
    file: 'monitor.gracePeriodSeconds',
    flag: '--grace-period',
    kind: 'number',
    schema: num(0, 3600),
    allowed: 'seconds from 0 to 3600',
    default: MONITOR_DEFAULTS.gracePeriodMs / 1000,
  },
  {
    key: 'batchSize',
    env: 'INGEST_BATCH_SIZE',
    file: 'ingest.batchSize',
    kind: 'int',
    schema: int(INGEST_LIMITS.batchSize.min, INGEST_LIMITS.batchSize.max),
    allowed: `a whole number from ${INGEST_LIMITS.batchSize.min} to ${INGEST_LIMITS.batchSize.max}`,
    default: INGEST_LIMITS.batchSize.default,
  },
  {
    key: 'progressIntervalSeconds',
    env: 'INGEST_PROGRESS_INTERVAL',
    file: 'ingest.progressIntervalSeconds',
    kind: 'number',
    schema: num(INGEST_LIMITS.progressIntervalSeconds.above, INGEST_LIMITS.progressIntervalSeconds.max, true),
    allowed: `seconds greater than ${INGEST_LIMITS.progressIntervalSeconds.above} and at most ${INGEST_LIMITS.progressIntervalSeconds.max}`,
    default: INGEST_LIMITS.progressIntervalSeconds.default,
  },
  {
    key: 'typeInference',
    env: 'INGEST_TYPE_INFERENCE',
    file: 'ingest.typeInference',
    kind: 'boolean',
    schema: z.boolean(),
    allowed: 'true or false',
    default: true,
  },
  {
    key: 'typeSampleRows',
    env: 'INGEST_TYPE_SAMPLE_ROWS',
    file: 'ingest.typeSampleRows',
    kind: 'int',
    schema: int(INGEST_LIMITS.typeSampleRows.min, INGEST_LIMITS.typeSampleRows.max),
    allowed: `a whole number from ${INGEST_LIMITS.typeSampleRows.min} to ${INGEST_LIMITS.typeSampleRows.max}`,
    default: INGEST_LIMITS.typeSampleRows.default,
  },
  {
    key: 'maxErrors',
    env: 'INGEST_MAX_ERRORS',
    file: 'ingest.maxErrors',
    flag: '--max-errors',
    kind: 'int',
    schema: int(0, Number.MAX_SAFE_INTEGER),
    allowed: 'a whole number of rejected rows, 0 or more',
    default: 0,
  },
  {
    key: 'schemaDrift',
    env: 'INGEST_SCHEMA_DRIFT',
    file: 'ingest.schemaDrift',
    kind: 'string',
    schema: z.enum(SCHEMA_DRIFT),
    allowed: 'fail, add or ignore',
    default: 'fail',
  },
  {
    key: 'skipDuplicates',
    env: 'INGEST_SKIP_DUPLICATES',
    file: 'ingest.skipDuplicates',
    kind: 'boolean',
    schema: z.boolean(),
    allowed: 'true or false',
    default: true,
  },
  {
    key: 'metricsPort',
    env: 'METRICS_PORT',
    file: 'metrics.port',
    flag: '--metrics-port',
    kind: 'int',
    schema: int(0, 65_535),
    allowed: 'a TCP port from 0 to 65535 (0 picks a free port)',
  },
  {
    key: 'metricsHost',
    env: 'METRICS_HOST',
    file: 'metrics.host',
    flag: '--metrics-host',
    kind: 'string',
    schema: nonEmpty,
    allowed: 'an address to bind, e.g. 127.0.0.1',
    default: '127.0.0.1',
  },
  {
    key: 'logLevel',
    env: 'LOG_LEVEL',
    file: 'log.level',
    flag: '--log-level',
    kind: 'string',
    schema: z.enum(LOG_LEVELS),
    allowed: LOG_LEVELS.join(', '),
  },
];

const datasetSchema = z
  .strictObject({
    files: z.array(nonEmpty).min(1).optional(),
    mode: z.enum(LOAD_MODES).optional(),
    keyColumns: z.array(nonEmpty).min(1).optional(),
    types: z.record(nonEmpty, z.enum(COLUMN_KINDS)).optional(),
    maxErrors: z.number().int().min(0).optional(),
    schemaDrift: z.enum(SCHEMA_DRIFT).optional(),
    format: z
      .strictObject({
        encoding: z.enum(ENCODINGS).optional(),
        delimiter: nonEmpty.optional(),
        quote: z.string().length(1).nullable().optional(),
        escape: z.string().length(1).nullable().optional(),
        header: z.union([z.boolean(), z.number().int().min(0).max(100)]).optional(),
        skipLines: z.number().int().min(0).optional(),
        nullTokens: z.array(z.string()).optional(),
        dateOrder: z.enum(['DMY', 'MDY', 'YMD']).optional(),
      })
      .optional(),
  })
  .superRefine((ds, ctx) => {
    if (ds.mode === 'upsert' && ds.keyColumns === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['keyColumns'],
        message: 'mode upsert needs key columns; list them, e.g. ["code"]',
      });
    }
  });

const fileSchema = z.strictObject({
  $schema: z.string().optional(),
  root: z.unknown().optional(),
  database: z
    .strictObject({
      url: z.unknown().optional(),
      host: z.unknown().optional(),
      name: z.unknown().optional(),
      user: z.unknown().optional(),
      poolSize: z.unknown().optional(),
      maxRetries: z.unknown().optional(),
      retryBackoffSeconds: z.unknown().optional(),
      keepBackups: z.unknown().optional(),
      connectTimeoutSeconds: z.unknown().optional(),
      trustServerCertificate: z.unknown().optional(),
    })
    .optional(),
  monitor: z
    .strictObject({
      intervalSeconds: z.unknown().optional(),
      stabilityChecks: z.unknown().optional(),
      mode: z.unknown().optional(),
      requireMarker: z.unknown().optional(),
      include: z.unknown().optional(),
      exclude: z.unknown().optional(),
      concurrency: z.unknown().optional(),
      leaseSeconds: z.unknown().optional(),
      gracePeriodSeconds: z.unknown().optional(),
    })
    .optional(),
  ingest: z
    .strictObject({
      batchSize: z.unknown().optional(),
      progressIntervalSeconds: z.unknown().optional(),
      typeInference: z.unknown().optional(),
      typeSampleRows: z.unknown().optional(),
      maxErrors: z.unknown().optional(),
      schemaDrift: z.unknown().optional(),
      skipDuplicates: z.unknown().optional(),
    })
    .optional(),
  metrics: z.strictObject({ port: z.unknown().optional(), host: z.unknown().optional() }).optional(),
  log: z.strictObject({ level: z.unknown().optional() }).optional(),
  datasets: z.record(nonEmpty, datasetSchema).optional(),
});

/** A column kind a dataset may force (see @refdata/detect's `ColumnKind`). */
export type ColumnKindSetting = (typeof COLUMN_KINDS)[number];

/** Per-dataset settings from the config file's `datasets` object (keyed by table name). */
export interface DatasetSettings {
  /** Logical table in the `ref` namespace. */
  readonly table: string;
  /** File-name globs routed to this table; by default files whose name maps to the table. */
  readonly files: readonly string[] | undefined;
  readonly mode: (typeof LOAD_MODES)[number] | undefined;
  readonly keyColumns: readonly string[] | undefined;
  /** Column name → forced column kind. */
  readonly types: Readonly<Record<string, ColumnKindSetting>>;
  readonly maxErrors: number | undefined;
  readonly schemaDrift: (typeof SCHEMA_DRIFT)[number] | undefined;
  readonly format: Readonly<Record<string, unknown>> | undefined;
}

/** The validated configuration of one run. Frozen. */
export interface AppConfig {
  /** Absolute path of the drop root. */
  readonly root: string;
  /** Where the drop root setting came from (`the --root flag`, `the environment variable REFDATA_ROOT`, …). */
  readonly rootSource: string;
  /** The database, and where its setting came from (`the --db flag`, `the environment variable REFDATA_DB`, …). */
  readonly db: ResolvedDbUrl & { readonly source: string };
  readonly database: {
    readonly poolSize: number;
    readonly maxRetries: number;
    readonly retryBackoffSeconds: number;
    readonly keepBackups: number;
    /** Time within which an unreachable SQL Server fails a command (connect, instance lookup and retries). */
    readonly connectTimeoutMs: number;
    readonly trustServerCertificate: boolean;
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

  const sourceOf = (key: string): string => {
    const p = picked.get(key);
    return p === undefined ? 'no setting' : origin(p.def, p.source, file?.path);
  };
  const dbSetting = picked.get('dbUrl') ?? picked.get('dbHost');
  const dbSource =
    dbSetting === undefined ? `the default ${DEFAULT_DB_URL}` : origin(dbSetting.def, dbSetting.source, file?.path);

  const datasets = file?.data.datasets === undefined ? [] : toDatasets(file.data.datasets);

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
    db: { ...db, source: dbSource },
    database: {
      poolSize: get('poolSize'),
      maxRetries: get('maxRetries'),
      retryBackoffSeconds: get('retryBackoffSeconds'),
      keepBackups: get('keepBackups'),
      connectTimeoutMs: Math.round(get<number>('connectTimeoutSeconds') * 1000),
      trustServerCertificate: get('trustServerCertificate'),
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
    datasets,
    configFile: file?.path,
    secrets,
  };
  return deepFreeze(config);
}

interface LoadedFile {
  readonly path: string;
  readonly data: z.infer<typeof fileSchema>;
}

function readConfigFile(inputs: ConfigInputs, problems: string[]): LoadedFile | undefined {
  const { env, cwd } = inputs;
  const explicit = inputs.configFile ?? (env.REFDATA_CONFIG || undefined);
  let path: string | undefined;
  if (explicit !== undefined) {
    path = resolve(cwd, explicit);
    if (!existsSync(path)) {
      throw new AppError(
        AppErrorCode.CONFIG_UNREADABLE,
        `The config file ${path} does not exist (named by ${inputs.configFile === undefined ? 'REFDATA_CONFIG' : '--config'}). ` +
          'Create it or point to an existing file.',
      );
    }
  } else {
    const inCwd = resolve(cwd, CONFIG_FILE_NAME);
    if (existsSync(inCwd)) path = inCwd;
    else {
      const rootRaw = inputs.flags?.['--root'] ?? env.REFDATA_ROOT ?? './drop';
      const inRoot = resolve(cwd, String(rootRaw), CONFIG_FILE_NAME);
      if (existsSync(inRoot)) path = inRoot;
    }
  }
  if (path === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new AppError(
      AppErrorCode.CONFIG_UNREADABLE,
      `The config file ${path} cannot be read as JSON: ${(err as Error).message}. Fix the file or remove it.`,
    );
  }
  if (typeof json === 'object' && json !== null && 'database' in json) {
    const database = (json as { database?: unknown }).database;
    if (typeof database === 'object' && database !== null && 'password' in database) {
      problems.push(
        `database.password in ${path}: passwords do not belong in the config file; ` +
          'remove it and set the environment variable db_password instead.',
      );
      const { password: _dropped, ...rest } = database as Record<string, unknown>;
      (json as { database: unknown }).database = rest;
    }
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const at = issue.path.map(String).join('.') || '(top level)';
      const unknownKeys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
      problems.push(`${at} in ${path}: ${issue.message}${unknownKeys}; see the configuration table in README.md.`);
    }
    return { path, data: {} };
  }
  return { path, data: parsed.data };
}

function pick(
  def: SettingDef,
  env: Readonly<Record<string, string | undefined>>,
  flags: Readonly<Record<string, unknown>>,
  file: z.infer<typeof fileSchema> | undefined,
): Picked | undefined {
  if (def.flag !== undefined && flags[def.flag] !== undefined) return { value: flags[def.flag], source: 'flag', def };
  if (def.env !== undefined) {
    const v = env[def.env];
    if (v !== undefined && v !== '') return { value: v, source: 'environment', def };
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

function toDatasets(raw: NonNullable<z.infer<typeof fileSchema>['datasets']>): DatasetSettings[] {
  const out: DatasetSettings[] = [];
  for (const [name, ds] of Object.entries(raw)) {
    const table = name.replace(/^ref\./i, '');
    out.push({
      table,
      files: ds.files,
      mode: ds.mode,
      keyColumns: ds.keyColumns,
      types: ds.types ?? {},
      maxErrors: ds.maxErrors,
      schemaDrift: ds.schemaDrift,
      format: ds.format,
    });
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
