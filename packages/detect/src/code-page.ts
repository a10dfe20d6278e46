/**
 * Which single-byte code page a non-UTF-8 sample is in, from its letter statistics: Western
 * (Windows-1252) text has accented letters one at a time inside ASCII words, Cyrillic text has
 * whole words of bytes above 0x7F, and of the Cyrillic code pages the right one decodes to
 * Russian letter frequencies with words in one case (`Текущий`, `СЧЕТ`, not `тЕКУЩИЙ`).
 * @internal
 */
import iconv from 'iconv-lite';

/** Code pages told apart here, with their iconv-lite names. @internal */
export const CYRILLIC_CODE_PAGES = { 'windows-1251': 'win1251', 'koi8-r': 'koi8-r' } as const;
type CyrillicCodePage = keyof typeof CYRILLIC_CODE_PAGES;

/** Letter frequencies of Russian text, per cent (the usual table; Ukrainian and Bulgarian score alike). */
const FREQUENCY: Readonly<Record<string, number>> = {
  о: 10.97,
  е: 8.45,
  а: 8.01,
  и: 7.35,
  н: 6.7,
  т: 6.26,
  с: 5.47,
  р: 4.73,
  в: 4.54,
  л: 4.4,
  к: 3.49,
  м: 3.21,
  д: 2.98,
  п: 2.81,
  у: 2.62,
  я: 2.01,
  ы: 1.9,
  ь: 1.74,
  г: 1.7,
  з: 1.65,
  б: 1.59,
  ч: 1.44,
  й: 1.21,
  х: 0.97,
  ж: 0.94,
  ш: 0.73,
  ю: 0.64,
  ц: 0.48,
  щ: 0.36,
  э: 0.32,
  ф: 0.26,
  ъ: 0.04,
  ё: 0.04,
  і: 1.0,
  ї: 0.5,
  є: 0.5,
};

/** Bytes looked at (letter statistics settle long before). */
const PROBE = 65_536;

/** Letters a text needs in Cyrillic words before it is read as Cyrillic. */
const MIN_LETTERS = 8;

/**
 * The Cyrillic words of a single-byte decoding: runs of characters above U+007F (one per byte
 * above 0x7F) of three or more letters once punctuation at their ends (`«`, `№`, `—`) is
 * dropped. A run with anything else inside (`‰ЫТ`, the bytes of a garbled dash) is no word.
 */
function cyrillicWords(text: string): { words: string[]; high: number; letters: number } {
  const words: string[] = [];
  let high = 0;
  let letters = 0;
  for (const run of text.match(/[^\p{ASCII}]+/gu) ?? []) {
    high += run.length;
    const core = run.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
    if (core.length < 3 || !/^\p{Script=Cyrillic}+$/u.test(core)) continue;
    words.push(core);
    letters += core.length;
  }
  return { words, high, letters };
}

/** How Russian the words look: mean letter frequency, less the letters in mixed-case words. */
function cyrillicScore(words: readonly string[]): number {
  let letters = 0;
  let sum = 0;
  let mixed = 0;
  for (const word of words) {
    const lower = word.toLowerCase();
    // A word in one case, or capitalised; anything else (тЕКУЩИЙ) is a wrong mapping.
    const rest = word.slice(1);
    const oneCase = rest === rest.toLowerCase() || word === word.toUpperCase();
    for (const ch of lower) {
      letters += 1;
      sum += FREQUENCY[ch] ?? 0;
      if (!oneCase) mixed += 1;
    }
  }
  if (letters === 0) return 0;
  return (sum / letters) * (1 - mixed / letters);
}

/** A Cyrillic code page when the bytes read as Cyrillic words, else undefined (Western text). @internal */
export function cyrillicCodePage(
  bytes: Uint8Array,
): { encoding: CyrillicCodePage; confidence: number; reason: string } | undefined {
  const probe = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, PROBE));
  const scores = (Object.keys(CYRILLIC_CODE_PAGES) as CyrillicCodePage[])
    .map((encoding) => {
      const found = cyrillicWords(iconv.decode(probe, CYRILLIC_CODE_PAGES[encoding]));
      return {
        encoding,
        ...found,
        share: found.high === 0 ? 0 : found.letters / found.high,
        score: cyrillicScore(found.words),
      };
    })
    .sort((a, b) => b.score - a.score);
  const [best, second] = scores as [(typeof scores)[0], (typeof scores)[0]];
  // Most bytes above 0x7F must form whole Cyrillic words (Western text has accented letters one
  // at a time inside ASCII words), and correct Russian text averages about 5.5 per cent per
  // letter, a wrong mapping well below.
  if (best.letters < MIN_LETTERS || best.share < 0.5 || best.score < 4) return undefined;
  return {
    encoding: best.encoding,
    confidence: best.score > second.score * 1.3 ? 0.9 : 0.7,
    reason: `not valid UTF-8; ${Math.round(best.share * 100)}% of the ${best.high} bytes above 0x7F form whole Cyrillic words, which read as Cyrillic in ${best.encoding} (letter statistics ${best.score.toFixed(1)} against ${second.score.toFixed(1)} for ${second.encoding})`,
  };
}

/** Central European code pages told apart from Windows-1252 here, with their iconv-lite names. @internal */
export const CENTRAL_EUROPEAN_CODE_PAGES = { 'windows-1250': 'win1250', 'iso-8859-2': 'iso88592' } as const;
type CentralEuropeanCodePage = keyof typeof CENTRAL_EUROPEAN_CODE_PAGES;

/**
 * The letters beyond ASCII of the languages written in Windows-1252 and in Windows-1250 /
 * ISO-8859-2 (lower case). Text in one language uses the letters of one alphabet; a wrong code
 * page turns them into letters of several (`ludnoœæ`, Polish read as Windows-1252) or into
 * symbols inside words (`ma³opolskie`).
 */
const ALPHABETS: Readonly<Record<string, string>> = {
  French: 'àâæçéèêëîïôœùûüÿ',
  German: 'äöüß',
  Spanish: 'áéíñóúü',
  Italian: 'àèéìíîòóù',
  Portuguese: 'áâãàçéêíóôõú',
  Dutch: 'éëïóöü',
  Scandinavian: 'æøåäöé',
  Icelandic: 'áéíóúýþæöð',
  Polish: 'ąćęłńóśźż',
  Czech: 'áčďéěíňóřšťúůýž',
  Slovak: 'áäčďéíĺľňóôŕšťúýž',
  Hungarian: 'áéíóöőúüű',
  Romanian: 'ăâîșțşţ',
  Croatian: 'čćđšž',
};
const WESTERN = ['French', 'German', 'Spanish', 'Italian', 'Portuguese', 'Dutch', 'Scandinavian', 'Icelandic'];
const CENTRAL = ['Polish', 'Czech', 'Slovak', 'Hungarian', 'Romanian', 'Croatian', 'German'];

/** Non-ASCII letters a text needs before its code page is judged by them. */
const MIN_CENTRAL_LETTERS = 8;

/**
 * How well a decoding reads as one language: the best share, over `languages`, of the non-ASCII
 * characters that sit inside words (next to a letter) and belong to that language's alphabet.
 */
function alphabetFit(text: string, languages: readonly string[]): { share: number; language: string; count: number } {
  const seen = new Map<string, number>();
  let count = 0;
  for (const m of text.matchAll(/[^\p{ASCII}]/gu)) {
    const i = m.index;
    const before = text[i - 1] ?? '';
    const after = text[i + 1] ?? '';
    if (!/\p{L}/u.test(before) && !/\p{L}/u.test(after)) continue;
    const ch = m[0].toLowerCase();
    seen.set(ch, (seen.get(ch) ?? 0) + 1);
    count += 1;
  }
  let best = { share: 0, language: languages[0]!, count };
  for (const language of languages) {
    const alphabet = ALPHABETS[language]!;
    let inside = 0;
    for (const [ch, n] of seen) if (alphabet.includes(ch)) inside += n;
    const share = count === 0 ? 0 : inside / count;
    if (share > best.share) best = { share, language, count };
  }
  return best;
}

/**
 * A Central European code page (Windows-1250 or ISO-8859-2) when the sample's non-ASCII letters
 * read as one Central European language there and not as one Western language in
 * Windows-1252; else undefined (Windows-1252 stays the default, and wins every tie: German text
 * reads the same in both). @internal
 */
export function centralEuropeanCodePage(
  bytes: Uint8Array,
): { encoding: CentralEuropeanCodePage; confidence: number; reason: string } | undefined {
  const probe = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, PROBE));
  const western = alphabetFit(iconv.decode(probe, 'win1252'), WESTERN);
  if (western.count < MIN_CENTRAL_LETTERS) return undefined;
  const fits = (Object.keys(CENTRAL_EUROPEAN_CODE_PAGES) as CentralEuropeanCodePage[])
    .map((encoding) => ({
      encoding,
      ...alphabetFit(iconv.decode(probe, CENTRAL_EUROPEAN_CODE_PAGES[encoding]), CENTRAL),
    }))
    .sort((a, b) => b.share - a.share);
  const best = fits[0]!;
  // Text in one language fits its alphabet almost wholly; a wrong code page mixes alphabets.
  if (best.share < 0.95 || best.share - western.share < 0.15) return undefined;
  return {
    encoding: best.encoding,
    confidence: best.share - western.share > 0.3 ? 0.85 : 0.7,
    reason: `not valid UTF-8; ${Math.round(best.share * 100)}% of the ${western.count} non-ASCII letters read as ${best.language} in ${best.encoding}, ${Math.round(western.share * 100)}% as ${western.language} in windows-1252`,
  };
}
