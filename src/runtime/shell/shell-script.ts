import { requestScript } from '../agent/request-script.js';

/**
 * What an attached shell is fed for one command. The request script (the same one the runner
 * uses: environment, cwd, exec of the exact argv, output on fds 5 and 6) is written to a private
 * folder in the container's /tmp, and the command's output goes through two FIFOs that `cat`
 * copies to the shell's own stdout and stderr. So a background child that keeps the command's
 * output open holds a FIFO, never the shell's streams: once the command exits, the shell says so
 * on stderr (`X <code>`), and the hub gives the copies a grace period, as the engine does,
 * before it gives the shell up. After the copies end, the shell ends both streams with a marker
 * line; `F` says the set-up failed (no mkfifo or cat in the image) and nothing ran.
 */
export function shellCommand(
  sentinel: string,
  id: string,
  argv: string[],
  env: Record<string, string>,
  cwd: string | undefined,
): string {
  const d = `/tmp/.berth-${id}`;
  const eof = `BERTH_EOF_${id}`;
  return [
    `d=${d}`,
    `if mkdir -m 700 "$d" 2>/dev/null && mkfifo "$d/o" "$d/e" && cat >"$d/s" <<'${eof}'`,
    requestScript(argv, env, cwd).trimEnd(),
    eof,
    'then',
    '  cat "$d/o" & berth_o=$!',
    '  cat "$d/e" >&2 & berth_e=$!',
    // the shell would report a death by signal ("Killed") on its stderr: not into the output
    '  { /bin/sh "$d/s" 5>"$d/o" 6>"$d/e" </dev/null; } 2>/dev/null',
    '  berth_rc=$?',
    `  printf '\\n${sentinel}X %s\\n' "$berth_rc" >&2`,
    '  wait $berth_o $berth_e',
    '  rm -rf "$d"',
    `  printf '\\n${sentinel}E %s\\n' "$berth_rc"`,
    `  printf '\\n${sentinel}E\\n' >&2`,
    'else',
    '  rm -rf "$d"',
    `  printf '\\n${sentinel}F\\n'`,
    `  printf '\\n${sentinel}F\\n' >&2`,
    'fi',
    '',
  ].join('\n');
}

/** The first thing a new shell runs: proves it reads and answers before any command is sent. */
export function shellHello(sentinel: string): string {
  return `printf '\\n${sentinel}R\\n'\n`;
}
