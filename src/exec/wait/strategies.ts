import { request } from 'node:http';
import { connect } from 'node:net';
import type { ContainerProbes, WaitStrategy } from './wait-strategy.js';

/** A shell command runs in the container (it has started, and gVisor accepts execs). */
export function shellReady(): WaitStrategy {
  return {
    what: 'a shell to answer',
    async attempt(probes) {
      const probe = await probes.shell();
      return probe.ready ? undefined : probe.output.trim() || 'the shell did not answer';
    },
  };
}

/** A TCP connection to the container's `port` is accepted. */
export function tcpPort(port: number): WaitStrategy {
  return {
    what: `port ${port} to accept connections`,
    async attempt(probes, signal) {
      const where = await probes.address(port);
      if (!where) return 'the container has no address the host can reach';
      return new Promise((resolve) => {
        const socket = connect({ host: where.host, port: where.port, signal });
        socket.setTimeout(2000, () => socket.destroy(new Error('no answer within 2 s')));
        socket.once('connect', () => {
          socket.destroy();
          resolve(undefined);
        });
        socket.once('error', (err) => resolve(err.message));
      });
    },
  };
}

/** An HTTP GET of `path` on the container's `port` gets a status below 500. */
export function httpBelow500(port: number, path = '/'): WaitStrategy {
  return {
    what: `an HTTP answer below 500 from port ${port}${path}`,
    async attempt(probes, signal) {
      const where = await probes.address(port);
      if (!where) return 'the container has no address the host can reach';
      return new Promise((resolve) => {
        const req = request(
          { host: where.host, port: where.port, path, method: 'GET', signal, timeout: 5000 },
          (res) => {
            res.resume();
            const status = res.statusCode ?? 0;
            resolve(status > 0 && status < 500 ? undefined : `HTTP ${status}`);
          },
        );
        req.once('timeout', () => req.destroy(new Error('no answer within 5 s')));
        req.once('error', (err) => resolve(err.message));
        req.end();
      });
    },
  };
}

/** The container's output has a line matching `pattern`. */
export function logLine(pattern: RegExp): WaitStrategy {
  return {
    what: `a log line matching ${String(pattern)}`,
    async attempt(probes: ContainerProbes) {
      const text = await probes.logs();
      if (text.split('\n').some((line) => pattern.test(line))) return undefined;
      const lastLine = text.trimEnd().split('\n').pop() ?? '';
      return lastLine === '' ? 'no output yet' : `last line: ${lastLine.slice(0, 200)}`;
    },
  };
}

/** Every strategy in turn (each must pass; they share the time). */
export function allOf(...strategies: WaitStrategy[]): WaitStrategy {
  return {
    what: strategies.map((s) => s.what).join(', then '),
    async attempt(probes, signal) {
      for (const s of strategies) {
        const seen = await s.attempt(probes, signal);
        if (seen !== undefined) return `${s.what}: ${seen}`;
      }
      return undefined;
    },
  };
}
