import { createTwoFilesPatch } from 'diff';
import { BerthError } from '../errors.js';

export interface TextEdit {
  oldText: string;
  newText: string;
  replaceAll?: boolean;
}

/**
 * Applies exact-text edits in order, each to the result of the previous one. Any edit whose
 * text is missing, or found more than once without replaceAll, fails the whole batch.
 */
export function applyEdits(text: string, edits: TextEdit[], shown: string): string {
  let current = text;
  edits.forEach((edit, i) => {
    const label = edits.length > 1 ? `edit ${i + 1} of ${edits.length}` : 'the edit';
    if (edit.oldText === '') {
      throw new BerthError('EDIT_FAILED', `${label}: old_text is empty; give the exact text to replace`);
    }
    const count = countOccurrences(current, edit.oldText);
    if (count === 0) {
      throw new BerthError(
        'EDIT_FAILED',
        `${label}: old_text was not found in "${shown}"; read the file again and copy the text exactly, whitespace included`,
      );
    }
    if (count > 1 && !edit.replaceAll) {
      throw new BerthError(
        'EDIT_FAILED',
        `${label}: old_text matches ${count} places in "${shown}"; include more surrounding lines to make it unique, or set replace_all`,
      );
    }
    current = edit.replaceAll
      ? current.split(edit.oldText).join(edit.newText)
      : current.replace(edit.oldText, () => edit.newText);
  });
  return current;
}

function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) count++;
  return count;
}

export function unifiedDiff(path: string, before: string, after: string): string {
  return createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, { context: 3 });
}
