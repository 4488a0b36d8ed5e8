import { randomBytes } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CancelledNotificationSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../logger.js';

/** One client's MCP session: its own server, so its request ids (and cancels) are its own. */
export interface McpSession {
  readonly id: string;
  readonly transport: StreamableHTTPServerTransport;
  /** HTTP requests of this session now being served. */
  inFlight: number;
  lastUsed: number;
  idleTimer?: NodeJS.Timeout | undefined;
}

export interface SessionLimits {
  sessionIdleMs: number;
  maxSessions: number;
}

/**
 * The open sessions of one HTTP server. A session is closed by DELETE, after `sessionIdleMs` with
 * no request in flight, or to make room for a new one when `maxSessions` are open (the longest
 * idle goes; a session with a request in flight is never taken). Closing a session aborts its
 * tool calls, which kills their commands.
 */
export class McpSessions {
  private readonly sessions = new Map<string, McpSession>();

  constructor(
    private readonly createServer: () => McpServer,
    private readonly limits: SessionLimits,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): McpSession | undefined {
    return this.sessions.get(id);
  }

  /** A new session, not yet initialized; undefined when every open session is busy and there is no room. */
  async open(): Promise<McpSession | undefined> {
    if (this.sessions.size >= this.limits.maxSessions && !(await this.evictIdlest())) return undefined;
    const id = randomBytes(24).toString('base64url');
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => id });
    const session: McpSession = { id, transport, inFlight: 0, lastUsed: Date.now() };
    this.sessions.set(id, session);
    const server = this.createServer();
    await server.connect(transport);
    const closed = transport.onclose;
    transport.onclose = () => {
      clearTimeout(session.idleTimer);
      this.sessions.delete(id);
      closed?.();
      void server.close();
    };
    // A cancelled request's response is never sent (the SDK drops it), so its event stream would
    // stay open until the session ends: end it as soon as the cancel has been delivered.
    const deliver = transport.onmessage;
    transport.onmessage = (message: JSONRPCMessage, extra) => {
      deliver?.(message, extra);
      const cancel = CancelledNotificationSchema.safeParse(message);
      if (cancel.success && cancel.data.params.requestId !== undefined)
        transport.closeSSEStream(cancel.data.params.requestId);
    };
    return session;
  }

  /** Marks a request of the session as started; `end` must follow. */
  begin(session: McpSession): void {
    session.inFlight++;
    session.lastUsed = Date.now();
    clearTimeout(session.idleTimer);
    session.idleTimer = undefined;
  }

  end(session: McpSession): void {
    session.inFlight--;
    session.lastUsed = Date.now();
    if (session.inFlight > 0 || !this.sessions.has(session.id)) return;
    session.idleTimer = setTimeout(() => {
      this.logger.debug({ session: session.id.slice(0, 8) }, 'MCP session idle: closed');
      void session.transport.close();
    }, this.limits.sessionIdleMs);
    session.idleTimer.unref();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.transport.close()));
  }

  private async evictIdlest(): Promise<boolean> {
    let idlest: McpSession | undefined;
    for (const s of this.sessions.values()) {
      if (s.inFlight === 0 && (idlest === undefined || s.lastUsed < idlest.lastUsed)) idlest = s;
    }
    if (!idlest) return false;
    this.logger.debug(
      { session: idlest.id.slice(0, 8) },
      'MCP session limit reached: the idlest one is closed',
    );
    await idlest.transport.close();
    return true;
  }
}
