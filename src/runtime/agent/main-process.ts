/**
 * The two main processes berth's containers run: the agent (the runner) and a plain keep-alive.
 * Both stay alive until TERM and let every command run as an exec beside them.
 */

/** Where a container sees its private agent (runner) folder. */
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

/** berth's agent as the main process: the keep-alive loop, serving commands when it can. */
export const RUNNER_CMD = ['/bin/sh', '-c', RUNNER];

/**
 * The main process without the agent: stay alive and stop promptly; any image with /bin/sh
 * (busybox included). For plain Compose, and for containers whose isolation keeps FIFOs to
 * itself (gVisor).
 */
export const KEEPALIVE_CMD = [
  '/bin/sh',
  '-c',
  "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done",
];
