import { createServer } from 'node:net';
import { errnoOf } from '../errors.js';

/** Loopback addresses a preview URL can reach: `localhost` may resolve to either. */
const LOOPBACKS = ['127.0.0.1', '::1'];

/**
 * Whether nothing listens on `port` on the loopback addresses: each is bound for a moment and
 * let go. A host without IPv6 has no ::1 to collide on, so that address is skipped there. This
 * is a check, not a reservation: a program can take the port right after, so the container start
 * still has to cope with "address already in use".
 */
export async function portIsFree(port: number): Promise<boolean> {
  for (const host of LOOPBACKS) {
    const outcome = await tryBind(host, port);
    if (outcome === 'in-use') return false;
  }
  return true;
}

function tryBind(host: string, port: number): Promise<'free' | 'in-use' | 'no-address'> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err) => {
      const code = errnoOf(err);
      if (code === 'EADDRINUSE' || code === 'EACCES') resolve('in-use');
      else if (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT') resolve('no-address');
      else reject(err);
    });
    // exclusive: a cluster worker must not share a port a sibling holds and call it free
    server.listen({ host, port, exclusive: true, ipv6Only: host === '::1' }, () => {
      server.close(() => resolve('free'));
    });
  });
}
