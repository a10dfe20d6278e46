/**
 * Every scalar setting of the app, declared once: its environment variable (the seed's name),
 * config-file key and flag, how it is validated, its default, and whether it is secret. The
 * loader (`config.ts`), its error messages and the README's configuration table read this table.
 */
import { INGEST_LIMITS, SCHEMA_DRIFT_POLICIES as SCHEMA_DRIFT } from '@refdata/ingest';
import { MONITOR_DEFAULTS } from '@refdata/monitor';
import { z } from 'zod';
import { LOG_LEVELS } from './logger.js';

/** How the monitor finds files. */
export const MONITOR_MODES = ['poll', 'watch'] as const;

/** Where a setting's value came from. */
export type SettingSource = 'flag' | 'environment' | 'config file' | 'default';

type Kind = 'string' | 'int' | 'number' | 'boolean' | 'list';

/** The definition of one scalar setting (used for validation, error messages and the README table). */
export interface SettingDef {
  /** Key in the flat settings object. */
  readonly key: string;
  /** Environment variable (the seed's name where the seed has one). */
  readonly env?: string;
  /** A second name of the environment variable (read when `env` is not set). */
  readonly envAlias?: string;
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
    key: 'dbPasswordFile',
    env: 'DB_PASSWORD_FILE',
    envAlias: 'db_password_file',
    file: 'database.passwordFile',
    kind: 'string',
    schema: nonEmpty,
    allowed: 'the path of a file holding the SQL Server password (e.g. /run/secrets/db_password)',
    path: true,
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
    // No default here: when not set, the URL's ?trustServerCertificate= decides (else false).
  },
  {
    key: 'dbCaFile',
    env: 'DB_CA_FILE',
    file: 'database.caFile',
    kind: 'string',
    schema: nonEmpty,
    allowed: "the path of a PEM file holding the SQL Server's CA certificate",
    path: true,
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
    key: 'retentionDays',
    env: 'RETENTION_DAYS',
    file: 'retention.days',
    kind: 'number',
    schema: num(0, 36_500, true),
    allowed: 'days greater than 0 and at most 36500 (fractions allowed), or unset to keep everything',
  },
  {
    key: 'retentionIntervalSeconds',
    env: 'RETENTION_INTERVAL',
    file: 'retention.intervalSeconds',
    kind: 'number',
    schema: num(0, 86_400, true),
    allowed: 'seconds greater than 0 and at most 86400',
    default: 3600,
  },
  {
    key: 'logFile',
    env: 'LOG_FILE',
    file: 'log.file',
    kind: 'string',
    schema: nonEmpty,
    allowed: 'a file path (rotated files get a number before the extension: refdata.1.log)',
    path: true,
  },
  {
    key: 'logFileSize',
    env: 'LOG_FILE_SIZE',
    file: 'log.fileSize',
    kind: 'string',
    schema: z.string().regex(/^\d+[kmg]$/i),
    allowed: 'a size with its unit k, m or g, e.g. 10m',
    default: '10m',
  },
  {
    key: 'logFileFrequency',
    env: 'LOG_FILE_FREQUENCY',
    file: 'log.fileFrequency',
    kind: 'string',
    schema: z.string().regex(/^(daily|hourly|[1-9]\d*)$/),
    allowed: 'daily, hourly, or a whole number of seconds',
    default: 'daily',
  },
  {
    key: 'logFileKeep',
    env: 'LOG_FILE_KEEP',
    file: 'log.fileKeep',
    kind: 'int',
    schema: int(1, 10_000),
    allowed: 'a whole number of rotated files from 1 to 10000',
    default: 14,
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
