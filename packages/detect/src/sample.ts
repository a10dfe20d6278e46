/**
 * Reading the bounded sample of a file (or of bytes in memory).
 * @internal
 */
import { open } from 'node:fs/promises';
import { DetectError, DetectErrorCode } from './errors.js';

/** The bytes detection looks at. @internal */
export interface Sample {
  readonly bytes: Uint8Array;
  /** True when `bytes` is the whole input. */
  readonly wholeFile: boolean;
  /** Size of the whole input in bytes. */
  readonly size: number;
}

/**
 * Reads at most `sampleBytes` bytes from the start of a file, or takes them from memory.
 * @internal
 */
export async function readSample(input: string | Uint8Array, sampleBytes: number): Promise<Sample> {
  if (typeof input !== 'string') {
    const wholeFile = input.byteLength <= sampleBytes;
    return { bytes: wholeFile ? input : input.subarray(0, sampleBytes), wholeFile, size: input.byteLength };
  }
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(input, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DetectError(
      DetectErrorCode.ReadFailed,
      `Cannot open ${input} (${code ?? 'error'}); check that the file exists and is readable.`,
      { file: input },
      { cause: err },
    );
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new DetectError(
        DetectErrorCode.ReadFailed,
        `${input} is not a regular file; give the path of a CSV file.`,
        {
          file: input,
        },
      );
    }
    const length = Math.min(stat.size, sampleBytes);
    const bytes = new Uint8Array(length);
    let offset = 0;
    while (offset < length) {
      const { bytesRead } = await handle.read(bytes, offset, length - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return { bytes: bytes.subarray(0, offset), wholeFile: stat.size <= sampleBytes, size: stat.size };
  } catch (err) {
    if (err instanceof DetectError) throw err;
    throw new DetectError(
      DetectErrorCode.ReadFailed,
      `Cannot read ${input}: ${(err as Error).message}; check that the file is readable.`,
      { file: input },
      { cause: err },
    );
  } finally {
    await handle.close();
  }
}

/**
 * Reads the last `tailBytes` bytes of a file or byte array (for footnotes of files larger
 * than the sample). Returns undefined when they cannot be read.
 * @internal
 */
export async function readTail(
  input: string | Uint8Array,
  size: number,
  tailBytes: number,
): Promise<Uint8Array | undefined> {
  const start = Math.max(0, size - tailBytes);
  if (typeof input !== 'string') return input.subarray(start);
  try {
    const handle = await open(input, 'r');
    try {
      const bytes = new Uint8Array(size - start);
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesRead } = await handle.read(bytes, offset, bytes.length - offset, start + offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
      }
      return bytes.subarray(0, offset);
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}
