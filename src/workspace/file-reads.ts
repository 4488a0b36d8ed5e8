import * as fs from 'node:fs';
import { BerthError } from '../errors.js';
import { openReadable, readAll } from './confined-open.js';
import type { ConfinedRoot } from './confined-root.js';
import { looksLikeSvg, mediaTypeOf, type MediaType } from './media-type.js';
import { decodeText } from './text-file.js';

export type ManyRead = { path: string; content: string; bytes: number } | { path: string; error: string };

/**
 * Whole text files, each on its own: one that fails (missing, refused, binary, too big) gets its
 * error and the rest are still read. Together their text stays within `totalMax` bytes: a file
 * that would take the total over it is not read.
 */
export function readManyTexts(root: ConfinedRoot, paths: string[], totalMax: number): ManyRead[] {
  let left = totalMax;
  return paths.map((path) => {
    try {
      const { fd, size } = openReadable(root, path);
      try {
        if (size > left) {
          throw new BerthError(
            'TOO_LARGE',
            `"${path}" is ${size} bytes, and only ${left} of the ${totalMax} bytes one call returns are left; read it with read_file`,
          );
        }
        const data = readAll(fd, size, left, path);
        const content = decodeText(data, path);
        left -= data.length;
        return { path, content, bytes: data.length };
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      if (err instanceof BerthError) return { path, error: err.message };
      throw err;
    }
  });
}

export interface MediaRead {
  type: MediaType;
  data: Buffer;
  /** The name's ending names another type than the bytes do. */
  misnamed: boolean;
}

/** An image or audio file up to `maxBytes`, its type judged from its first bytes. */
export function readMediaFile(root: ConfinedRoot, path: string, maxBytes: number): MediaRead {
  const { fd, size } = openReadable(root, path);
  let data: Buffer;
  try {
    if (size > maxBytes) {
      throw new BerthError(
        'TOO_LARGE',
        `"${path}" is ${size} bytes, over the ${maxBytes}-byte limit for media files`,
      );
    }
    data = readAll(fd, size, maxBytes, path);
  } finally {
    fs.closeSync(fd);
  }
  const head = data.subarray(0, 512);
  const type = mediaTypeOf(head);
  if (!type) {
    if (looksLikeSvg(head)) {
      throw new BerthError(
        'INVALID_ARGUMENT',
        `"${path}" is an SVG image, which berth does not return as an image (SVG can carry scripts and links that a client may run); it is text, so read it with read_file`,
      );
    }
    throw new BerthError(
      'INVALID_ARGUMENT',
      `"${path}" is not a PNG, JPEG, GIF or WebP image, nor WAV, MP3, Ogg or FLAC audio (judged by its first bytes); read text with read_file`,
    );
  }
  const ending = /\.([^./]+)$/.exec(path)?.[1]?.toLowerCase();
  return { type, data, misnamed: ending !== undefined && !type.endings.includes(ending) };
}
