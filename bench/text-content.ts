const LINE_BYTES = 64;

/**
 * ASCII text of exactly `bytes` bytes (so as many characters): numbered 64-byte lines starting
 * with `tag`, the last one cut to fit, always ending in "\n". Different tags give different
 * text of the same size.
 */
export function textOfSize(bytes: number, tag: string): string {
  if (!Number.isInteger(bytes) || bytes < 1) throw new Error(`text size must be ≥ 1 byte, got ${bytes}`);
  const lines: string[] = [];
  let length = 0;
  for (let n = 1; length < bytes; n++) {
    const head = `${tag} line ${String(n).padStart(6, '0')} `;
    const line = `${head.padEnd(LINE_BYTES - 1, 'abcdefghijklmnopqrstuvwxyz'.charAt(n % 26))}\n`;
    lines.push(line);
    length += line.length;
  }
  const text = lines.join('');
  return `${text.slice(0, bytes - 1)}\n`;
}
