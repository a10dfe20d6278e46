/**
 * `refdata convert INPUT… (--out FILE | --out-dir DIR) [--max-errors N]`: RFC 4180 CSV through
 * the same parsing path as ingestion, for any number of inputs in one process. An input that
 * cannot be loaded gets the single line `Application Error` as its output and is reported.
 * `--out -` (or `/dev/stdout`) writes to standard output.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { convertFile } from '@refdata/detect';
import { DIR_MODE } from '../context.js';
import { AppError, AppErrorCode, errorCode, errorMessage } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { checkTypeFlags, formatOverridesFrom } from './format-flags.js';
import { type CommandEnv, intOption, isStdoutPath } from './shared.js';

/** The content written for an input that cannot be loaded at all. */
export const APPLICATION_ERROR = 'Application Error\n';

/** Runs `refdata convert`. */
export async function convertCommand({ ctx, opts }: CommandEnv, inputs: readonly string[]): Promise<number> {
  const { out } = ctx;
  const outFile = typeof opts.out === 'string' ? opts.out : undefined;
  const outDir = typeof opts.outDir === 'string' ? opts.outDir : undefined;
  if ((outFile === undefined) === (outDir === undefined)) {
    throw new AppError(AppErrorCode.USAGE, 'convert needs exactly one of --out FILE (one input) or --out-dir DIR.');
  }
  if (outFile !== undefined && inputs.length !== 1) {
    throw new AppError(
      AppErrorCode.USAGE,
      `--out takes one input; got ${inputs.length}. Use --out-dir DIR for several.`,
    );
  }
  // Without --max-errors, rejected rows are reported and counted but never fail an input.
  const overrides = formatOverridesFrom(opts);
  const convertOptions = {
    ...(opts.maxErrors === undefined ? {} : { maxErrors: intOption('--max-errors', opts.maxErrors) }),
    ...(overrides === undefined ? {} : { overrides }),
  };
  const concurrency = intOption('--concurrency', opts.concurrency ?? 4, 1);
  const cwd = ctx.runtime.cwd;
  // A --type for a column an input does not have is a usage error, found before anything is written.
  for (const input of inputs) {
    await checkTypeFlags(resolve(cwd, input), overrides, overrides?.columnTypes, input, {
      sampleRows: ctx.config.ingest.typeSampleRows,
      inferTypes: ctx.config.ingest.typeInference,
    });
  }
  const toStdout = outFile !== undefined && isStdoutPath(outFile);
  if (outDir !== undefined) await mkdir(resolve(cwd, outDir), { recursive: true, mode: DIR_MODE });
  else if (outFile !== undefined && !toStdout)
    await mkdir(dirname(resolve(cwd, outFile)), { recursive: true, mode: DIR_MODE });
  // Standard output through the app's sink (scrubbed, waits for a slow reader, stops on a closed pipe).
  const stdout = toStdout
    ? new Writable({
        decodeStrings: false,
        write(chunk: string | Buffer, _encoding, callback) {
          out.write(String(chunk)).then(() => callback(), callback);
        },
      })
    : undefined;

  let converted = 0;
  let failed = 0;
  let rows = 0;
  let rejected = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length) {
      const input = inputs[next++] as string;
      const source = resolve(cwd, input);
      const target =
        outFile !== undefined ? resolve(cwd, outFile) : join(resolve(cwd, outDir as string), basename(input));
      try {
        const result = await convertFile(source, stdout ?? target, convertOptions);
        converted++;
        rows += result.rowsWritten;
        rejected += result.rowsRejected;
        if (result.rowsRejected > 0) {
          const first = result.rejects[0];
          out.note(
            `${input}: ${result.rowsRejected} row(s) rejected` +
              (first === undefined ? '' : ` (first: line ${first.line}: ${first.reason})`),
          );
        }
      } catch (err) {
        failed++;
        out.note(`${input}: Application Error — ${errorCode(err)}: ${errorMessage(err)}`);
        try {
          if (toStdout) await out.write(APPLICATION_ERROR);
          else await writeFile(target, APPLICATION_ERROR);
        } catch (writeErr) {
          out.note(`${input}: cannot write ${target}: ${errorMessage(writeErr)}`);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, inputs.length) }, worker));
  out.note(
    `converted ${converted} of ${inputs.length} input(s): ${rows} row(s) written, ${rejected} rejected` +
      (failed > 0 ? `; ${failed} failed (written as "Application Error")` : ''),
  );
  return failed > 0 ? ExitCode.FAILED : ExitCode.OK;
}
