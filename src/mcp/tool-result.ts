import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { BerthError, errnoOf } from '../errors.js';
import type { Logger } from '../logger.js';

/** A successful result: text for people and models, structured content for programs. */
export function ok(text: string, structured?: Record<string, unknown>): CallToolResult {
  return structured === undefined
    ? { content: [{ type: 'text', text }] }
    : { content: [{ type: 'text', text }], structuredContent: structured };
}

/**
 * A tool failure the agent can act on: `isError` with one plain sentence. BerthError messages
 * are written that way and carry project-relative paths only; anything else is reduced to its
 * error code so no host path ever reaches the agent (the details go to the log).
 */
export function failure(err: unknown, logger: Logger): CallToolResult {
  let text: string;
  if (err instanceof BerthError) {
    text = err.message;
  } else {
    const code = errnoOf(err);
    logger.warn({ err }, 'tool failed');
    text = code
      ? `The operation failed with ${code}; check the path and try again.`
      : 'berth hit an unexpected error; try again, and report it if it persists.';
  }
  return { isError: true, content: [{ type: 'text', text: sentence(text) }] };
}

function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** Runs a tool body; every throw becomes a failure result rather than a protocol error. */
export async function guard(logger: Logger, body: () => Promise<CallToolResult> | CallToolResult) {
  try {
    return await body();
  } catch (err) {
    return failure(err, logger);
  }
}
