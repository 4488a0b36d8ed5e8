import type { RunEvent } from '../ops-service.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * One event per line. Output that is valid UTF-8 without control bytes travels as text; other
 * bytes as base64 (`"encoding":"base64"`), which costs 4/3 instead of JSON's six-fold \\u0000.
 */
export function encodeEvent(event: RunEvent): string {
  if (event.type !== 'stdout' && event.type !== 'stderr') return `${JSON.stringify(event)}\n`;
  const text = asText(event.data);
  return text === undefined
    ? `${JSON.stringify({ type: event.type, data: event.data.toString('base64'), encoding: 'base64' })}\n`
    : `${JSON.stringify({ type: event.type, data: text })}\n`;
}

function asText(data: Buffer): string | undefined {
  // eslint-disable-next-line no-control-regex
  const control = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
  let text: string;
  try {
    text = decoder.decode(data);
  } catch {
    return undefined;
  }
  return control.test(text) ? undefined : text;
}
