/** Single-quotes a word for POSIX sh. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The script for one request: its own output FIFOs (set here, not on the runner's command line:
 * a shell that redirects a command's stderr reports that command's death by signal, "Killed",
 * into the same stream), environment, working directory, then exec of the exact argv.
 */
export function requestScript(argv: string[], env: Record<string, string>, cwd: string | undefined): string {
  const lines = ['exec </dev/null >&5 2>&6 5>&- 6>&-'];
  lines.push(...Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`));
  if (cwd !== undefined) lines.push(`cd -- ${shellQuote(cwd)} || exit 126`);
  lines.push(`exec ${argv.map(shellQuote).join(' ')}`);
  return `${lines.join('\n')}\n`;
}
