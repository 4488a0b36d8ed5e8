import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLineSlice, readTail } from '../src/workspace/line-reader.js';
import { mediaTypeOf } from '../src/workspace/media-type.js';
import { escapeLookAlikes, showName } from '../src/workspace/name-display.js';
import { pathGlob } from '../src/workspace/path-glob.js';
import { applyEdits, lineEndingsOf } from '../src/workspace/text-edit.js';
import { makeTempDir } from './helpers/test-hub.js';

/** Engine-free checks of the pure parts behind the file tools. */
describe('path globs', () => {
  it('match the project path with a slash, the name without', () => {
    expect(pathGlob('src/**')('src/a/b.ts')).toBe(true);
    expect(pathGlob('src/*.ts')('src/a/b.ts')).toBe(false);
    expect(pathGlob('src/**/*.ts')('src/a.ts')).toBe(true);
    expect(pathGlob('./src/')('src/x')).toBe(true);
    expect(pathGlob('*.md')('docs/deep/README.md')).toBe(true);
    expect(pathGlob('*.md')('docs.md/x')).toBe(false);
    expect(pathGlob('.env*')('app/.env.local')).toBe(true);
  });
});

describe('edits and line endings', () => {
  it('tells the endings apart', () => {
    expect(lineEndingsOf('a\r\nb\r\n')).toBe('crlf');
    expect(lineEndingsOf('a\nb')).toBe('lf');
    expect(lineEndingsOf('a\r\nb\n')).toBe('mixed');
    expect(lineEndingsOf('\nb\r\n')).toBe('mixed');
    expect(lineEndingsOf('one line')).toBe('none');
  });

  it('takes an edit with \\n into a CRLF file, and \\r\\n into an LF one, in the file style', () => {
    expect(applyEdits('a\r\nb\r\nc\r\n', [{ oldText: 'a\nb\n', newText: 'x\ny\n' }], 'f')).toBe(
      'x\r\ny\r\nc\r\n',
    );
    expect(applyEdits('a\nb\n', [{ oldText: 'a\r\nb', newText: 'x\r\ny' }], 'f')).toBe('x\ny\n');
    expect(applyEdits('a\r\n', [{ oldText: 'a', newText: 'p\nq' }], 'f')).toBe('p\r\nq\r\n');
  });

  it('hints at line endings only when they are the difference', () => {
    expect(() => applyEdits('a\r\nb\nc\n', [{ oldText: 'a\nb', newText: 'x' }], 'f')).toThrow(/mixes CRLF/);
    expect(() => applyEdits('a\r\nb\nc\n', [{ oldText: 'zzz\nb', newText: 'x' }], 'f')).toThrow(
      /copy the text exactly, whitespace included$/,
    );
  });
});

describe('names', () => {
  it('escapes what makes look-alikes differ, and bytes that are not UTF-8', () => {
    expect(showName(Buffer.from('caf\u00e9'))).toEqual({ text: 'caf\u00e9' });
    expect(showName(Buffer.from('cafe\u0301'))).toEqual({ text: 'cafe\u0301', escaped: 'cafe\\u0301' });
    expect(showName(Buffer.from('a\u200bb'))).toEqual({ text: 'a\u200bb', escaped: 'a\\u200bb' });
    expect(showName(Buffer.from([0x61, 0xff]))).toEqual({ text: 'a\\xff', escaped: 'a\\xff', notUtf8: true });
    expect(escapeLookAlikes('\u212a\\')).toBe('\\u212a\\\\');
    // the escaped form is a JSON string body that gives back the name
    expect(JSON.parse(`"${escapeLookAlikes('e\u0323\u0302 \u212a')}"`)).toBe('e\u0323\u0302 \u212a');
  });
});

describe('media types from first bytes', () => {
  it('knows the image and audio formats, and nothing else', () => {
    const pad = (b: number[] | string) => Buffer.concat([Buffer.from(b as never), Buffer.alloc(16)]);
    expect(mediaTypeOf(pad([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))?.mimeType).toBe('image/png');
    expect(mediaTypeOf(pad('RIFF\0\0\0\0WEBPVP8 '))?.mimeType).toBe('image/webp');
    expect(mediaTypeOf(pad('OggS'))?.mimeType).toBe('audio/ogg');
    expect(mediaTypeOf(pad('fLaC'))?.mimeType).toBe('audio/flac');
    expect(mediaTypeOf(pad('ID3\x04'))?.mimeType).toBe('audio/mpeg');
    expect(mediaTypeOf(pad([0xff, 0xfb, 0x90]))).toMatchObject({ kind: 'audio', mimeType: 'audio/mpeg' });
    // AAC's sync word has layer 00: not MP3
    expect(mediaTypeOf(pad([0xff, 0xf1, 0x50]))).toBeUndefined();
    expect(mediaTypeOf(pad('<svg'))).toBeUndefined();
  });
});

describe('line windows', () => {
  let dir: string;
  const fds: number[] = [];
  const open = (name: string, text: string | Buffer) => {
    writeFileSync(join(dir, name), text);
    const fd = openSync(join(dir, name), 'r');
    fds.push(fd);
    return fd;
  };
  beforeAll(() => {
    dir = makeTempDir();
    mkdirSync(dir, { recursive: true });
  });
  afterAll(() => {
    for (const fd of fds) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });
  const slice = (fd: number, size: number, offset: number, limit: number | undefined, maxBytes: number) =>
    readLineSlice(fd, size, 'f', { offset, maxBytes, scanMaxBytes: 1 << 20, ...(limit ? { limit } : {}) });

  it('slices by lines, counting the total when the end is reached', () => {
    const fd = open('a', 'one\ntwo\nthree');
    expect(slice(fd, 13, 2, 1, 100)).toMatchObject({ content: 'two\n', startLine: 2, endLine: 2 });
    expect(slice(fd, 13, 2, undefined, 100)).toMatchObject({ content: 'two\nthree', totalLines: 3 });
    expect(slice(fd, 13, 9, 1, 100)).toMatchObject({ content: '', lines: 0, totalLines: 3 });
  });

  it('cuts a long first line on a character boundary, and says where the rest starts', () => {
    const fd = open('b', `${'\u00e9'.repeat(10)}\nnext\n`);
    const w = slice(fd, 26, 1, 1, 5);
    expect(w).toMatchObject({ content: '\u00e9\u00e9', cut: 'line', restByte: 4 });
  });

  it('reads a tail from the end, whole lines within the cap, or the end of one long line', () => {
    const text = Array.from({ length: 50 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    const fd = open('c', text);
    const size = Buffer.byteLength(text);
    expect(readTail(fd, size, 'f', { count: 2, maxBytes: 1000 })).toMatchObject({
      content: 'line 49\nline 50\n',
      lines: 2,
    });
    const capped = readTail(fd, size, 'f', { count: 50, maxBytes: 20 });
    expect(capped).toMatchObject({ content: 'line 49\nline 50\n', cut: 'slice' });
    const long = open('d', `short\n${'x'.repeat(100)}`);
    expect(readTail(long, 106, 'f', { count: 1, maxBytes: 10 })).toMatchObject({
      content: 'x'.repeat(10),
      cut: 'line',
      restByte: 96,
    });
    const none = open('e', 'no newline at all');
    expect(readTail(none, 17, 'f', { count: 5, maxBytes: 100 }).content).toBe('no newline at all');
    expect(() =>
      readTail(open('g', Buffer.from([0x61, 0, 0x0a])), 3, 'f', { count: 1, maxBytes: 9 }),
    ).toThrow(/looks binary/);
  });
});
