import { describe, expect, it } from 'vitest';
import { SentinelScanner } from '../src/runtime/shell/sentinel-scanner.js';

describe('sentinel scanner', () => {
  const S = 'BERTH-abc-';
  const stream = Buffer.from(`partial line\n\n${S}X 3\nmore\n\n${S}E 0\ntail`);

  it('finds the markers and passes everything else on, however the stream is cut', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const scanner = new SentinelScanner(S);
      const a = scanner.push(stream.subarray(0, cut));
      const b = scanner.push(stream.subarray(cut));
      const data = Buffer.concat([a.data, b.data, scanner.rest()]).toString();
      expect(data).toBe('partial line\nmore\ntail');
      expect([...a.markers, ...b.markers]).toEqual(['X 3', 'E 0']);
    }
  });

  it('one byte at a time, and output that only looks like the start of a marker', () => {
    const scanner = new SentinelScanner(S);
    const text = `a\nBERTH-ab\nBERTH-\n${S}E 1\n`;
    let out = '';
    const markers: string[] = [];
    for (const byte of Buffer.from(text)) {
      const r = scanner.push(Buffer.from([byte]));
      out += r.data.toString();
      markers.push(...r.markers);
    }
    expect(out + scanner.rest().toString()).toBe('a\nBERTH-ab\nBERTH-');
    expect(markers).toEqual(['E 1']);
  });
});
