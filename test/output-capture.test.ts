import { describe, expect, it } from 'vitest';
import { OutputCapture } from '../src/exec/output-capture.js';
import { LinePrefixer } from '../src/cli/line-prefixer.js';

describe('OutputCapture', () => {
  it('keeps everything under the cap, unmarked', () => {
    const c = new OutputCapture(10);
    c.push(Buffer.from('hello'));
    c.push(Buffer.from('world'));
    expect(c.text()).toBe('helloworld');
    expect(c.truncated).toBe(false);
  });

  it('cuts at the cap, counts the rest and marks the cut', () => {
    const c = new OutputCapture(8);
    c.push(Buffer.from('12345'));
    c.push(Buffer.from('67890'));
    for (let i = 0; i < 1000; i++) c.push(Buffer.alloc(1024, 'z'));
    expect(c.truncated).toBe(true);
    expect(c.droppedBytes).toBe(2 + 1000 * 1024);
    expect(c.text()).toBe('12345678\n[berth: output truncated at 8 bytes; 1024002 more bytes dropped]\n');
  });
});

describe('LinePrefixer', () => {
  it('prefixes whole lines and holds back partial ones', () => {
    let out = '';
    const p = new LinePrefixer('[web] ', (t) => (out += t));
    p.push('one\ntw');
    expect(out).toBe('[web] one\n');
    p.push('o\nthree');
    p.flush();
    expect(out).toBe('[web] one\n[web] two\n[web] three\n');
  });
});
