import { describe, expect, it } from 'vitest';
import { isBerthError } from '../src/errors.js';
import {
  decodeEvent,
  encodeEvent,
  NdjsonDecoder,
  parseRunBody,
  runBody,
  type RunEvent,
} from '../src/ops/protocol.js';

/** Engine-free: the side-car's wire format, as server, client, tests and bench share it. */
describe('NdjsonDecoder', () => {
  it('holds a partial line until its newline arrives, across any number of chunks', () => {
    const d = new NdjsonDecoder();
    expect(d.push(Buffer.from('{"a":'))).toEqual([]);
    expect(d.leftover).toBe(5);
    expect(d.push(Buffer.from('1'))).toEqual([]);
    expect(d.push(Buffer.from('}\n{"b":2}\n{"c"'))).toEqual(['{"a":1}', '{"b":2}']);
    expect(d.leftover).toBe(4);
    expect(d.push(Buffer.from(':3}\n'))).toEqual(['{"c":3}']);
    expect(d.leftover).toBe(0);
  });

  it('decodes a multi-byte character cut between chunks, at every cut', () => {
    const line = Buffer.from('{"data":"é→😀 ✓"}\n', 'utf8');
    for (let cut = 1; cut < line.length; cut++) {
      const d = new NdjsonDecoder();
      const lines = [...d.push(line.subarray(0, cut)), ...d.push(line.subarray(cut))];
      expect(lines, `cut at ${cut}`).toEqual(['{"data":"é→😀 ✓"}']);
    }
    // one byte at a time
    const d = new NdjsonDecoder();
    const lines = [...line].flatMap((byte) => d.push(Buffer.from([byte])));
    expect(lines).toEqual(['{"data":"é→😀 ✓"}']);
  });

  it('skips empty lines and leaves an unfinished last line as leftover', () => {
    const d = new NdjsonDecoder();
    expect(d.push(Buffer.from('\n\n{"x":1}\n\n{"y"'))).toEqual(['{"x":1}']);
    expect(d.leftover).toBe(4);
  });
});

describe('run events', () => {
  const roundTrip = (event: RunEvent) => {
    const text = encodeEvent(event);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.slice(0, -1)).not.toContain('\n');
    return decodeEvent(text.slice(0, -1));
  };

  it('carry UTF-8 text as text and other bytes as base64, both back to the same bytes', () => {
    const text = Buffer.from('line one\nline two ✓\n');
    expect(JSON.parse(encodeEvent({ type: 'stdout', data: text }))).toEqual({
      type: 'stdout',
      data: 'line one\nline two ✓\n',
    });
    expect(roundTrip({ type: 'stdout', data: text })).toEqual({ type: 'stdout', data: text });
    for (const bytes of [Buffer.from([0, 1, 2, 255]), Buffer.from([0xe2, 0x82]), Buffer.from('a\x1bb')]) {
      expect(JSON.parse(encodeEvent({ type: 'stderr', data: bytes }))).toMatchObject({ encoding: 'base64' });
      expect(roundTrip({ type: 'stderr', data: bytes })).toEqual({ type: 'stderr', data: bytes });
    }
  });

  it('round-trip start and exit events', () => {
    expect(roundTrip({ type: 'start', run_id: 'run_0123' })).toEqual({ type: 'start', run_id: 'run_0123' });
    const exit = { type: 'exit', code: 3, duration_ms: 12, timed_out: false, truncated: true } as const;
    expect(roundTrip(exit)).toEqual(exit);
  });

  it('refuse anything else as a PROTOCOL_ERROR', () => {
    for (const line of [
      'not json',
      'null',
      '{"type":"stdout"}',
      '{"type":"stdout","data":"x","encoding":"hex"}',
      '{"type":"exit","code":0}',
      '{"type":"surprise"}',
    ]) {
      let caught: unknown;
      try {
        decodeEvent(line);
      } catch (err) {
        caught = err;
      }
      expect(isBerthError(caught, 'PROTOCOL_ERROR'), line).toBe(true);
    }
  });
});

describe('the POST /run body', () => {
  it('parses into a request and back into the same body', () => {
    const body = {
      target: 'project:web',
      command: ['npm', 'test'],
      cwd: 'pkg',
      env: { CI: '1' },
      timeout_ms: 5000,
      max_output_bytes: 4096,
    };
    const request = parseRunBody(body);
    expect(request).toEqual({
      target: 'project:web',
      command: ['npm', 'test'],
      cwd: 'pkg',
      env: { CI: '1' },
      timeoutMs: 5000,
      maxOutputBytes: 4096,
    });
    expect(runBody(request)).toEqual(body);
    expect(runBody({ target: 'project:web', command: 'true' })).toEqual({
      target: 'project:web',
      command: 'true',
    });
  });

  it('names the field in an INVALID_ARGUMENT', () => {
    const cases: [unknown, RegExp][] = [
      [[], /^body must be a JSON object/],
      [{ target: 'project:a', command: 'x', sudo: 1 }, /^sudo is not a known field/],
      [{ target: 'project:a', command: ' ' }, /^command is required/],
      [
        { target: 'project:a', command: 'x', max_output_bytes: 1.5 },
        /^max_output_bytes must be a whole number/,
      ],
    ];
    for (const [body, message] of cases) {
      let caught: unknown;
      try {
        parseRunBody(body);
      } catch (err) {
        caught = err;
      }
      expect(isBerthError(caught, 'INVALID_ARGUMENT')).toBe(true);
      expect((caught as Error).message).toMatch(message);
    }
  });
});
