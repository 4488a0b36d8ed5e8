/**
 * At most `max` runs at once per target; the rest wait in arrival order. A waiting run that is
 * cancelled leaves the queue without ever running.
 */
export class TargetQueue {
  private readonly slots = new Map<string, { active: number; waiting: (() => void)[] }>();

  constructor(private readonly max: number) {}

  async acquire(target: string, signal: AbortSignal): Promise<() => void> {
    const slot = this.slots.get(target) ?? { active: 0, waiting: [] };
    this.slots.set(target, slot);
    if (slot.active >= this.max) {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal.removeEventListener('abort', cancel);
          resolve();
        };
        const cancel = () => {
          slot.waiting = slot.waiting.filter((w) => w !== go);
          reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
        };
        if (signal.aborted) return cancel();
        signal.addEventListener('abort', cancel, { once: true });
        slot.waiting.push(go);
      });
    }
    slot.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      slot.active--;
      slot.waiting.shift()?.();
    };
  }
}
