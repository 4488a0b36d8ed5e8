import { BerthError } from '../errors.js';

export interface TextEdit {
  oldText: string;
  newText: string;
  replaceAll?: boolean;
}

/** How a text ends its lines: all `\r\n`, all `\n`, both, or no line break at all. */
export type LineEndings = 'crlf' | 'lf' | 'mixed' | 'none';

export function lineEndingsOf(text: string): LineEndings {
  const crlf = text.includes('\r\n');
  const lf = /(^|[^\r])\n/.test(text);
  return crlf && lf ? 'mixed' : crlf ? 'crlf' : lf ? 'lf' : 'none';
}

/** `text` with its line breaks written the file's way (unchanged for mixed files and single lines). */
export function withLineEndings(text: string, endings: LineEndings): string {
  if (endings === 'crlf') return text.replace(/\r?\n/g, '\r\n');
  if (endings === 'lf') return text.replace(/\r\n/g, '\n');
  return text;
}

/**
 * Applies exact-text edits in order, each to the result of the previous one, yielding after each
 * (so a caller can spread a long batch over several turns of the event loop); returns the new
 * text. In a file whose lines all end in `\r\n` (or all in `\n`), old_text and new_text are taken
 * with that file's line endings, so `\n` in an edit matches and writes `\r\n` in a CRLF file.
 * Any edit whose text is missing, or found more than once without replaceAll, fails the batch.
 */
export function* editSteps(text: string, edits: TextEdit[], shown: string): Generator<void, string> {
  const endings = lineEndingsOf(text);
  let current = text;
  for (const [i, edit] of edits.entries()) {
    const label = edits.length > 1 ? `edit ${i + 1} of ${edits.length}` : 'the edit';
    if (edit.oldText === '') {
      throw new BerthError('EDIT_FAILED', `${label}: old_text is empty; give the exact text to replace`);
    }
    const oldText = withLineEndings(edit.oldText, endings);
    const newText = withLineEndings(edit.newText, endings);
    const first = current.indexOf(oldText);
    if (first === -1) {
      throw new BerthError(
        'EDIT_FAILED',
        `${label}: old_text was not found in "${shown}"; ${notFoundHint(current, oldText, endings)}`,
      );
    }
    if (edit.replaceAll) {
      current = current.split(oldText).join(newText);
    } else {
      if (current.indexOf(oldText, first + oldText.length) !== -1) {
        throw new BerthError(
          'EDIT_FAILED',
          `${label}: old_text matches ${countOccurrences(current, oldText)} places in "${shown}"; include more surrounding lines to make it unique, or set replace_all`,
        );
      }
      current = current.slice(0, first) + newText + current.slice(first + oldText.length);
    }
    yield;
  }
  return current;
}

/** How long edits run before the event loop gets a turn. */
const EDIT_SLICE_MS = 10;

/** Runs edit steps to the end, giving the event loop a turn every EDIT_SLICE_MS, within a deadline. */
export async function runEditSteps<T>(
  steps: Generator<void, T>,
  deadlineMs: number,
  count: number,
): Promise<T> {
  const started = Date.now();
  let slice = started;
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    const now = Date.now();
    if (now - started > deadlineMs) {
      throw new BerthError(
        'EDIT_FAILED',
        `the ${count} edits ran longer than ${deadlineMs} ms and were stopped, so nothing was written; send fewer edits per call`,
      );
    }
    if (now - slice >= EDIT_SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      slice = Date.now();
    }
  }
}

/** All the edits at once (see editSteps). */
export function applyEdits(text: string, edits: TextEdit[], shown: string): string {
  const steps = editSteps(text, edits, shown);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** What to tell the agent when old_text is not there: line endings, when they are the difference. */
function notFoundHint(text: string, oldText: string, endings: LineEndings): string {
  const copy = 'read the file again and copy the text exactly, whitespace included';
  if (!oldText.includes('\n') && !oldText.includes('\r')) return copy;
  const bare = (s: string) => s.replace(/\r/g, '');
  if (!bare(text).includes(bare(oldText))) return copy;
  if (endings === 'mixed') {
    return 'the text is there but with other line endings: this file mixes CRLF (\\r\\n) and LF (\\n) lines, so old_text must use the same ones as the lines it matches';
  }
  return 'the text is there but with other line endings (carriage returns, \\r, differ); copy the line endings exactly';
}

function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) count++;
  return count;
}
