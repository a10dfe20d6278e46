/**
 * @refdata/monitor: finds stable files in a drop folder, claims them, hands each to a handler
 * and moves it through `incoming/ → processing/ → archive/ | failed/ | held/`. Knows nothing of
 * CSV or SQL.
 *
 * @packageDocumentation
 */
export { isMonitorError, MonitorError, MonitorErrorCode } from './errors.js';
export { createMemoryClaimStore, type MemoryClaimEntry, type MemoryClaimStore } from './memory-claim-store.js';
export { createMonitor, Monitor } from './monitor.js';
export { MONITOR_DEFAULTS } from './options.js';
export { ensureStages, type StagePaths, stageOf, stagePaths } from './stages.js';
export type {
  Claim,
  ClaimedFile,
  ClaimRecord,
  ClaimStore,
  FileHandler,
  FileOperation,
  FileOperationEvent,
  FileOperationReason,
  HandlerContext,
  HandlerResult,
  LifecycleState,
  Logger,
  MonitorApi,
  MonitorEvents,
  MonitorOptions,
  MonitorSummary,
  SeenFile,
  Sidecar,
  SignatureChange,
  StabilityEvent,
  StabilityRule,
  Stage,
  TerminalState,
  TransitionEvent,
  WaitReason,
} from './types.js';
export {
  FILE_OPERATION_REASONS,
  FILE_OPERATIONS,
  LIFECYCLE_STATES,
  STABILITY_RULES,
  STAGES,
  WAIT_REASONS,
} from './types.js';
