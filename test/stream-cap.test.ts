import { describe, expect, it } from 'vitest';
import { OutputCapture } from '../src/exec/output-capture.js';
import { StreamCap, truncationMarker } from '../src/exec/stream-cap.js';

/** Engine-free: the one output cap behind runExec's capture, the side-car's stream and split mode. */
describe('StreamCap', () => {
  it('passes chunks whole under the cap, cuts the one that crosses it, drops the rest', () => {
    const cap = new StreamCap(10);
    expect(cap.take(Buffer.from('12345'))?.toString()).toBe('12345');
    expect(cap.truncated).toBe(false);
    expect(cap.take(Buffer.from('67890'))?.toString()).toBe('67890');
    // exactly at the cap is not truncated
    expect(cap.truncated).toBe(false);
    expect(cap.markOnce()).toBeUndefined();
    expect(cap.take(Buffer.from('x'))).toBeUndefined();
    expect(cap.truncated).toBe(true);
    expect(cap.droppedBytes).toBe(1);
  });

  it('marks a forwarded stream once, on the first byte past the cap, even in a later chunk', () => {
    const cap = new StreamCap(4);
    expect(cap.take(Buffer.from('abcd'))?.toString()).toBe('abcd');
    expect(cap.markOnce()).toBeUndefined();
    expect(cap.take(Buffer.from('ef'))).toBeUndefined();
    expect(cap.markOnce()?.toString()).toBe('\n[berth: output truncated at 4 bytes]\n');
    cap.take(Buffer.from('gh'));
    expect(cap.markOnce()).toBeUndefined();
    expect(cap.droppedBytes).toBe(4);
  });

  it('one marker text: the cap, and the count once it is known', () => {
    expect(truncationMarker(8)).toBe('[berth: output truncated at 8 bytes]');
    expect(truncationMarker(8, 3)).toBe('[berth: output truncated at 8 bytes; 3 more bytes dropped]');
    expect(StreamCap.forwardedBytes(8)).toBe(8 + '\n[berth: output truncated at 8 bytes]\n'.length);
  });

  it('a capture of a forwarded stream keeps its marker instead of cutting it and marking again', () => {
    const upstream = new StreamCap(16);
    const capture = new OutputCapture(StreamCap.forwardedBytes(16));
    for (let i = 0; i < 10; i++) {
      const part = upstream.take(Buffer.from('0123456789'));
      if (part) capture.push(part);
      const marker = upstream.markOnce();
      if (marker) capture.push(marker);
    }
    expect(capture.truncated).toBe(false);
    expect(capture.text()).toBe('0123456789012345\n[berth: output truncated at 16 bytes]\n');
  });
});
