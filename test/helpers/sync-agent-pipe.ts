import { PassThrough } from 'node:stream';
import type { BerthError } from '../../src/errors.js';
import { serveReplica } from '../../src/sync/agent/agent-server.js';
import { AGENT_MAGIC, encodeFrame, handshake } from '../../src/sync/protocol/frames.js';
import { remoteReplicaOver } from '../../src/sync/remote-replica.js';
import type { Replica } from '../../src/workspace/sync-tree/replica.js';

/**
 * A RemoteReplica whose "agent" is whatever the test writes: `agentSays` feeds raw bytes (a
 * handshake, frames, garbage) as if they came from the agent's stdout; `sent` holds what the
 * client wrote. For the checks of what the client accepts, which need no engine.
 */
export function handDrivenAgent() {
  const sent: Buffer[] = [];
  let closed = false;
  let closeError: BerthError | undefined;
  const remote = remoteReplicaOver(
    {
      write: (data) => (sent.push(data), true),
      drained: () => Promise.resolve(),
      pause: () => undefined,
      resume: () => undefined,
      close: () => (closed = true),
    },
    (err) => (closeError = err),
  );
  return {
    replica: remote.replica,
    agentSays: (bytes: Buffer) => remote.receive(bytes),
    handshake: () => remote.receive(handshake(AGENT_MAGIC)),
    frame: (header: object, body?: Buffer) => remote.receive(encodeFrame(header, body)),
    stderr: (text: string) => remote.diagnostics(Buffer.from(text)),
    lost: () => remote.lost(),
    sent,
    get closed() {
      return closed;
    },
    get closeError() {
      return closeError;
    },
  };
}

/** The real agent server and a RemoteReplica joined by in-process pipes (no container). */
export function pipedAgent(replica: Replica) {
  const toAgent = new PassThrough();
  const fromAgent = new PassThrough();
  const log: string[] = [];
  const served = serveReplica(replica, { input: toAgent, output: fromAgent, log: (l) => log.push(l) });
  const remote = remoteReplicaOver({
    write: (data) => toAgent.write(data),
    drained: () =>
      new Promise((resolve) => (toAgent.writableNeedDrain ? toAgent.once('drain', resolve) : resolve())),
    pause: () => fromAgent.pause(),
    resume: () => fromAgent.resume(),
    close: () => toAgent.end(),
  });
  let received = 0;
  fromAgent.on('data', (chunk: Buffer) => {
    received += chunk.length;
    remote.receive(chunk);
  });
  fromAgent.on('end', () => remote.lost());
  served.finally(() => fromAgent.end()).catch(() => undefined);
  /** `received()`: bytes the agent has sent so far. */
  return { replica: remote.replica, served, log, received: () => received };
}
