import type { CycleReport } from './sync-pair.js';

/** One line for a cycle, as `berth sync`, `berth up` and the logs print it. */
export function describeCycle(project: string, r: CycleReport): string {
  if (r.halt) return `${project}: HALTED (${r.halt.reason} on the ${r.halt.side} side): ${r.halt.detail}`;
  const parts = [`${r.toContainer} to the container`, `${r.toLocal} to the host`];
  if (r.conflicts.length) parts.push(`${r.conflicts.length} conflict(s), both versions kept`);
  if (r.retry.length) parts.push(`${r.retry.length} changed meanwhile (next cycle)`);
  if (r.problems.length) parts.push(`${r.problems.length} path(s) not synced`);
  return `${project}: ${parts.join(', ')} (${r.durationMs} ms)${r.firstSync ? ' [first sync]' : ''}`;
}
