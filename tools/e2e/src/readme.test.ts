/**
 * README.md shows the corpus as a table generated from the manifest; this keeps the two in sync
 * (`UPDATE_README=1 pnpm exec vitest run src/readme.test.ts` rewrites the table).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CORPUS, corpusMarkdown } from './corpus.js';

const README = new URL('../README.md', import.meta.url);
const START = '<!-- corpus:start -->';
const END = '<!-- corpus:end -->';

/** A Markdown table as rows of trimmed cells (the formatter pads cells and dash rows). */
function normalize(table: string): string[][] {
  return table
    .trim()
    .split('\n')
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replace(/^-+$/, '---')),
    );
}

describe('README.md', () => {
  it('shows every corpus case with its input, expected outcome and reason, as the manifest says', async () => {
    const text = await readFile(README, 'utf8');
    const start = text.indexOf(START);
    const end = text.indexOf(END);
    expect(start, `README.md needs ${START} … ${END}`).toBeGreaterThan(0);
    const table = corpusMarkdown();
    if (process.env.UPDATE_README === '1') {
      await writeFile(README, `${text.slice(0, start + START.length)}\n${table}\n${text.slice(end)}`);
      return;
    }
    expect(normalize(text.slice(start + START.length, end))).toEqual(normalize(table));
    expect(text).toContain(`${CORPUS.length} cases`);
    expect(new Set(CORPUS.map((c) => c.id)).size).toBe(CORPUS.length);
    expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
  });
});
