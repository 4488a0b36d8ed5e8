import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const HEARTBEAT_MS = 1000;
const OUTPUT_THROTTLE_MS = 250;

/**
 * Progress notifications for long tool calls, only when the client sent a progress token:
 * a heartbeat every second, plus a note when output arrives (at most four a second).
 */
export function progressReporter(extra: ToolExtra, verb: string) {
  const token = extra._meta?.progressToken;
  const started = Date.now();
  let step = 0;
  let bytes = 0;
  let lastSent = 0;
  const send = () => {
    if (token === undefined) return;
    lastSent = Date.now();
    const seconds = Math.round((lastSent - started) / 1000);
    void extra
      .sendNotification({
        method: 'notifications/progress',
        params: {
          progressToken: token,
          progress: ++step,
          message: `${verb} for ${seconds}s, ${bytes} bytes of output`,
        },
      })
      .catch(() => undefined);
  };
  const timer = token === undefined ? undefined : setInterval(send, HEARTBEAT_MS);
  return {
    output(chunk: Buffer) {
      bytes += chunk.length;
      if (token !== undefined && Date.now() - lastSent >= OUTPUT_THROTTLE_MS) send();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
