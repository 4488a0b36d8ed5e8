/** Where the project container sees its private runner folder. */
export const RUNNER_MOUNT = '/run/berth';

/**
 * The container's main process. It stays alive (and stops promptly on TERM) like a plain
 * keep-alive loop, and when the hub's runner folder is mounted it also serves commands: each
 * request id read from the `requests` FIFO names a script the hub wrote; its stdout, stderr and
 * status go back through FIFOs the hub made. This skips the engine's per-exec runtime set-up
 * (tens of milliseconds) while the command still runs in the same namespaces, cgroup, user and
 * environment as an engine exec would. POSIX sh only: busybox ash and dash both run it.
 */
const RUNNER = `trap 'exit 0' TERM INT
d=${RUNNER_MOUNT}
if [ -d "$d" ] && [ -w "$d" ] && { [ -p "$d/requests" ] || mkfifo -m 600 "$d/requests"; } 2>/dev/null && exec 3<>"$d/requests"; then
  while IFS= read -r id <&3; do
    case "$id" in ''|*[!0-9a-f]*) continue ;; esac
    (
      exec 4>"$d/$id.status" 5>"$d/$id.out" 6>"$d/$id.err" || exit 0
      echo S >&4
      /bin/sh "$d/$id.sh" 3<&- 4>&-
      echo "E $?" >&4
    ) &
  done
fi
while :; do sleep 3600 & wait $!; done`;

export const RUNNER_CMD = ['/bin/sh', '-c', RUNNER];

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
