/**
 * Keeps secrets out of every byte the app writes. pino's redaction removes secret *fields*;
 * the scrubber removes secret *values* wherever they end up (a driver error message that quotes
 * a connection string, a URL in an argument echoed back, a JSON document).
 */

import { readFileSync, statSync } from 'node:fs';

/** Text that replaces a secret. */
export const REDACTED = '[REDACTED]';

/** Shortest secret value that is scrubbed by value; shorter ones would garble every message. */
export const MIN_SECRET_LENGTH = 3;

// The password runs to the LAST @ before the host, so an unencoded @ inside it is masked too.
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^/?#\s]*)(@)/gi;
const KEY_VALUE_PASSWORD = /\b((?:password|pwd)\s*=\s*)("[^"]*"|'[^']*'|[^;\s&]*)/gi;

/**
 * Replaces registered secret values, URL passwords (`scheme://user:PASS@host`) and
 * `password=…`/`pwd=…` pairs with {@link REDACTED}.
 *
 * @example
 * ```ts
 * const scrubber = new SecretScrubber();
 * scrubber.add('s3cret!');
 * scrubber.scrub('login failed for s3cret!'); // 'login failed for [REDACTED]'
 * ```
 */
export class SecretScrubber {
  #values: string[] = [];
  #files = new Map<string, string>();

  /** Registers a secret; its raw, URL-encoded and JSON-escaped forms are scrubbed from then on. */
  add(secret: string | undefined | null): void {
    if (secret === undefined || secret === null || secret.length < MIN_SECRET_LENGTH) return;
    const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
    for (const form of forms) if (!this.#values.includes(form)) this.#values.push(form);
    // Longest first, so a secret that contains another is replaced whole.
    this.#values.sort((a, b) => b.length - a.length);
  }

  /**
   * Registers a secret file (DB_PASSWORD_FILE): its content is scrubbed, and read again whenever
   * the file changes, so a rotated password is scrubbed too (the earlier one stays registered).
   */
  addFile(path: string | undefined): void {
    if (path === undefined) return;
    this.#files.set(path, '');
    this.#refresh();
  }

  #refresh(): void {
    for (const [path, seen] of this.#files) {
      let stamp: string;
      try {
        const s = statSync(path);
        stamp = `${s.mtimeMs}:${s.size}:${s.ino}`;
      } catch {
        continue;
      }
      if (stamp === seen) continue;
      this.#files.set(path, stamp);
      try {
        this.add(readFileSync(path, 'utf8').replace(/\r?\n$/, ''));
      } catch {
        // Unreadable now: the database reports it when it needs the file.
      }
    }
  }

  /** True when at least one secret value is registered. */
  get size(): number {
    return this.#values.length;
  }

  /** Returns `text` with every secret replaced. */
  scrub(text: string): string {
    if (this.#files.size > 0) this.#refresh();
    let out = text;
    for (const value of this.#values) if (out.includes(value)) out = out.split(value).join(REDACTED);
    if (out.includes('://'))
      out = out.replace(URL_PASSWORD, (_m, head: string, _pw: string, at: string) => `${head}${REDACTED}${at}`);
    if (/pass|pwd/i.test(out)) out = out.replace(KEY_VALUE_PASSWORD, (_m, head: string) => `${head}${REDACTED}`);
    return out;
  }
}

/** A stream-like sink: anything with `write(string)`. */
export interface TextSink {
  write(chunk: string): unknown;
}

/**
 * Wraps a sink so every chunk written through it is scrubbed first.
 *
 * @example
 * ```ts
 * const out = scrubbingSink(process.stdout, scrubber);
 * out.write(`connected to ${url}\n`);
 * ```
 */
export function scrubbingSink(sink: TextSink, scrubber: SecretScrubber): TextSink {
  return {
    write(chunk: string): unknown {
      return sink.write(scrubber.scrub(typeof chunk === 'string' ? chunk : String(chunk)));
    },
  };
}
