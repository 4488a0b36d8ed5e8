/** An image or audio type, judged from a file's first bytes. */
export interface MediaType {
  kind: 'image' | 'audio';
  mimeType: string;
  /** Usual file name endings, to say when a name disagrees with the bytes. */
  endings: string[];
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The media type of `head` (the file's first bytes, 16 or more), or undefined for anything else. */
export function mediaTypeOf(head: Buffer): MediaType | undefined {
  const ascii = (from: number, text: string) =>
    head.subarray(from, from + text.length).toString('latin1') === text;
  if (PNG.every((b, i) => head[i] === b)) return image('image/png', ['png']);
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return image('image/jpeg', ['jpg', 'jpeg']);
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return image('image/gif', ['gif']);
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return image('image/webp', ['webp']);
  if (ascii(0, 'RIFF') && ascii(8, 'WAVE')) return audio('audio/wav', ['wav']);
  if (ascii(0, 'OggS')) return audio('audio/ogg', ['ogg', 'oga', 'opus']);
  if (ascii(0, 'fLaC')) return audio('audio/flac', ['flac']);
  if (ascii(0, 'ID3') || isMpegAudioFrame(head)) return audio('audio/mpeg', ['mp3']);
  return undefined;
}

/** An SVG file starts (after a BOM, blanks, an XML declaration or comments) with markup naming svg. */
export function looksLikeSvg(head: Buffer): boolean {
  const text = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  return text.startsWith('<') && /<svg[\s>]/i.test(text);
}

/** An MPEG audio frame header: 11 sync bits, a version and a layer that are not reserved. */
function isMpegAudioFrame(head: Buffer): boolean {
  const b1 = head[1] ?? 0;
  return head[0] === 0xff && (b1 & 0xe0) === 0xe0 && ((b1 >> 3) & 3) !== 1 && ((b1 >> 1) & 3) !== 0;
}

function image(mimeType: string, endings: string[]): MediaType {
  return { kind: 'image', mimeType, endings };
}

function audio(mimeType: string, endings: string[]): MediaType {
  return { kind: 'audio', mimeType, endings };
}
