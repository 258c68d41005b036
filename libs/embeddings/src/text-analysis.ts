/**
 * Text analysis shared by the dense and sparse encoders: lowercase, split on anything that is
 * not a letter or digit, drop English stop-words, stem with a small suffix stripper. Stable:
 * changing it changes every stored vector, so version it (`ANALYZER_VERSION`) when you do.
 */
export const ANALYZER_VERSION = 1;

const STOP_WORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by can ' +
    'could did do does doing down during each few for from further had has have having he her here hers herself him himself his ' +
    'how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ' +
    'ourselves out over own same she should so some such than that the their theirs them themselves then there these they this ' +
    'those through to too under until up very was we were what when where which while who whom why will with would you your ' +
    'yours yourself yourselves also may might must shall us via per etc e g ie'
  ).split(' '),
);

/** True for words too common to carry meaning ("the", "is", "of"...). */
export function isStopWord(word: string): boolean {
  return STOP_WORDS.has(word);
}

const VOWEL = /[aeiouy]/;

/**
 * A light English stemmer (the plural, -ed/-ing and common derivational steps of Porter's
 * algorithm, simplified): saturation/saturated → satur, restarts/restarting → restart,
 * latencies → latenc. Words of three letters or fewer are kept as they are.
 */
export function stem(word: string): string {
  let cached = stemCache.get(word);
  if (cached === undefined) {
    cached = stemUncached(word);
    // Vocabularies are small; the bound only guards against unbounded junk input.
    if (stemCache.size >= 100_000) stemCache.clear();
    stemCache.set(word, cached);
  }
  return cached;
}

const stemCache = new Map<string, string>();

function stemUncached(word: string): string {
  let w = word;
  if (w.length <= 3 || /\d/.test(w)) return w;
  if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('ies')) w = w.slice(0, -3) + 'i';
  else if (w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) w = w.slice(0, -1);
  for (const suf of ['ing', 'edly', 'ed']) {
    if (w.endsWith(suf) && VOWEL.test(w.slice(0, -suf.length)) && w.length - suf.length >= 3) {
      w = w.slice(0, -suf.length);
      if (/([^aeiouylsz])\1$/.test(w)) w = w.slice(0, -1);
      else if (/(at|bl|iz)$/.test(w)) w += 'e';
      break;
    }
  }
  if (w.endsWith('y') && w.length > 3 && !VOWEL.test(w[w.length - 2])) w = w.slice(0, -1) + 'i';
  // Derivational suffixes, longest first; a rule applies only if at least four letters remain.
  const rules: Array<[string, string]> = [
    ['ational', ''], ['ization', ''], ['fulness', ''], ['iveness', ''], ['ousness', 'ous'], ['ation', ''], ['sion', 's'],
    ['tion', 't'], ['ement', ''], ['ment', ''], ['ness', ''], ['ance', ''], ['ence', ''], ['able', ''], ['ible', ''],
    ['ator', ''], ['alli', 'al'], ['ously', 'ous'], ['ful', ''], ['ical', 'ic'], ['ity', ''], ['ive', ''], ['ize', ''],
    ['ate', ''], ['ly', ''], ['er', ''], ['al', ''],
  ];
  for (const [suf, rep] of rules) {
    if (!w.endsWith(suf)) continue;
    const cand = w.slice(0, -suf.length) + rep;
    if (cand.length >= 4) {
      w = cand;
      break;
    }
  }
  if ((w.endsWith('e') || w.endsWith('i')) && w.length > 4) w = w.slice(0, -1);
  return w;
}

/** Lowercased words of a text (letters and digits), stop-words included. */
export function words(text: string): string[] {
  return text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Index terms of a text: words without stop-words, stemmed. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text)) if (!STOP_WORDS.has(w)) out.push(stem(w));
  return out;
}

/** 32-bit FNV-1a hash of a string (UTF-16 code units), optionally seeded; unsigned. */
export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche (murmur3 fmix32) so nearby strings spread over all bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
