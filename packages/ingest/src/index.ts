export type {
  IngestHandle,
  IngestOptions,
  IngestorEvents,
  IngestorOptions,
  IngestProgress,
  IngestResult,
  SchemaDriftPolicy,
} from './types.js';
export { SCHEMA_DRIFT_POLICIES } from './types.js';
