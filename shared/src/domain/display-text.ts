/**
 * What a name shown to other people may not contain, whatever the service:
 * - text that is not well-formed Unicode (a lone UTF-16 surrogate cannot be stored as UTF-8:
 *   PostgreSQL would get U+FFFD instead and the value would silently change);
 * - bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069), which
 *   reorder how the text around them is displayed ("Trojan Source"-style spoofing of names in
 *   admin screens and emails). The invisible direction marks U+200E/U+200F stay allowed: mixed
 *   right-to-left names need them, and they reorder nothing beyond themselves.
 */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;

/** Why `value` may not be displayed as a name, or null when it may. */
export function displayTextProblem(value: string): string | null {
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode text';
  if (BIDI_CONTROLS.test(value)) return 'must not contain bidirectional override characters';
  return null;
}
