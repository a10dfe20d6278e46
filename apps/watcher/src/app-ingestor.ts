/**
 * What the watcher and the `ingest` command share about ingesting: one way to build the
 * ingestor from the validated settings, and one way to record a result on the tracking row.
 */
import type { Database, FileProgressPatch, Logger } from '@refdata/db';
import { createIngestor, type Ingestor, type IngestResult } from '@refdata/ingest';
import type { AppConfig } from './config.js';

/** The ingestor configured from the app's settings (INGEST_* and, for the watcher, its concurrency). */
export function createAppIngestor(
  config: AppConfig,
  db: Database,
  logger: Logger,
  concurrency: number = config.monitor.concurrency,
): Ingestor {
  return createIngestor({
    db,
    logger: logger.child({ component: 'ingest' }),
    batchSize: config.ingest.batchSize,
    progressIntervalSeconds: config.ingest.progressIntervalSeconds,
    typeInference: config.ingest.typeInference,
    typeSampleRows: config.ingest.typeSampleRows,
    concurrency,
  });
}

/** The tracking-row fields an ingestion result fills in. */
export function trackingPatch(result: IngestResult): FileProgressPatch {
  return {
    sha256: result.sha256,
    size: result.bytes,
    rowsRead: result.rowsRead,
    rowsLoaded: result.rowsLoaded,
    rowsRejected: result.rowsRejected,
    targetTable: result.table,
  };
}
