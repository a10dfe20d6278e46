/**
 * The optional config file, `refdata.config.json`: where it is looked up, its schema (unknown keys
 * are errors, a password is refused), and the per-dataset settings it declares.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ENCODINGS } from '@refdata/detect';
import { LOAD_MODES, SCHEMA_DRIFT_POLICIES as SCHEMA_DRIFT } from '@refdata/ingest';
import { z } from 'zod';
import type { ConfigInputs } from './config.js';
import { AppError, AppErrorCode } from './errors.js';

/** Name of the optional config file looked up in the working directory, then in the drop root. */
export const CONFIG_FILE_NAME = 'refdata.config.json';

const COLUMN_KINDS = ['boolean', 'integer', 'decimal', 'date', 'datetime', 'time', 'uuid', 'text'] as const;

const nonEmpty = z.string().min(1);

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
      passwordFile: z.unknown().optional(),
      poolSize: z.unknown().optional(),
      maxRetries: z.unknown().optional(),
      retryBackoffSeconds: z.unknown().optional(),
      keepBackups: z.unknown().optional(),
      connectTimeoutSeconds: z.unknown().optional(),
      trustServerCertificate: z.unknown().optional(),
      caFile: z.unknown().optional(),
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
  log: z
    .strictObject({
      level: z.unknown().optional(),
      file: z.unknown().optional(),
      fileSize: z.unknown().optional(),
      fileFrequency: z.unknown().optional(),
      fileKeep: z.unknown().optional(),
    })
    .optional(),
  retention: z.strictObject({ days: z.unknown().optional(), intervalSeconds: z.unknown().optional() }).optional(),
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

/** The config file that was read and its validated content. */
export interface LoadedFile {
  readonly path: string;
  /** The file's settings by section (`database`, `monitor`, …), looked up by a setting's `file` path. */
  readonly data: Readonly<Record<string, unknown>>;
  /** Its `datasets`, as a list. */
  readonly datasets: readonly DatasetSettings[];
}

/** Reads the config file named by `--config`/`REFDATA_CONFIG`, else found in the working directory or the drop root. */
export function readConfigFile(inputs: ConfigInputs, problems: string[]): LoadedFile | undefined {
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
    return { path, data: {}, datasets: [] };
  }
  return { path, data: parsed.data, datasets: toDatasets(parsed.data.datasets ?? {}) };
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
