/**
 * @refdata/e2e: the bad-input corpus and the harness the end-to-end tests run it with (private,
 * consumed as source). See README.md.
 */
export type { CaseContext, CorpusCase, Expected, VerifyContext } from './corpus.js';
export { BIG_ROWS, CORPUS, corpusMarkdown, describeExpected, SENTINEL } from './corpus.js';
export type { CliOptions, CliResult, LogLine, RunAs, RunningCli, Workspace } from './harness.js';
export {
  CLI,
  canRun,
  dropFile,
  FAST,
  fingerprint,
  inspectSqlite,
  listNames,
  openTestDb,
  originalName,
  REPO,
  readRows,
  runCli,
  sha256Of,
  sleep,
  startCli,
  waitFor,
  watcherUser,
  workspace,
} from './harness.js';
