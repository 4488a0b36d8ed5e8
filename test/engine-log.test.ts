import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

describe('BERTH_LOG_LEVEL=debug logs every engine call', () => {
  it('each Engine API request, with method, path, status and time; nothing at warn', async () => {
    const debug = capture('debug');
    const runtime = new DockerRuntime(debug.logger);
    await runtime.ping();
    await runtime.containers.list({ 'berth.hub': 'engine-log-test-none' });
    await runtime.containers.inspect('berth-no-such-container');
    const calls = debug.lines.filter((l) => String(l.msg).startsWith('engine call'));
    expect(calls).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ msg: 'engine call', method: 'GET', path: '/version' }),
        expect.objectContaining({ msg: 'engine call', method: 'GET', path: '/containers/json' }),
        expect.objectContaining({
          msg: 'engine call failed',
          path: '/containers/berth-no-such-container/json',
          status: 404,
        }),
      ]),
    );
    for (const c of calls) expect(typeof c.ms).toBe('number');

    const quiet = capture('warn');
    await new DockerRuntime(quiet.logger).ping();
    expect(quiet.lines).toEqual([]);
  });
});
