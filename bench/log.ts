/** Progress goes to stderr so stdout carries only the report (or the JSON document). */
export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
