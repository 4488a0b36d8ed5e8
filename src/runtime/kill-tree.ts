import type { KillOptions, RawExecOptions, RawExecResult } from './container-runtime.js';
import { within } from './within.js';

/** Every exec carries this variable; its descendants inherit it, which is how we find them. */
export const EXEC_MARKER_ENV = 'BERTH_EXEC_ID';

/**
 * POSIX sh that SIGKILLs every process whose environment holds the marker, repeating until a
 * pass finds none, so children forked mid-kill are caught too. It needs only /bin/sh, tr, grep
 * and /proc (busybox is enough). environ is NUL-separated and busybox grep stops at a NUL, so
 * it is split into lines first. The marker is passed as an argument, so this script never matches
 * itself.
 */
const KILL_SCRIPT = `
m="$1"; self=$$; rounds=0
while [ $rounds -lt 50 ]; do
  found=0
  for f in /proc/[0-9]*/environ; do
    p=\${f#/proc/}; p=\${p%/environ}
    [ "$p" = "$self" ] && continue
    # a zombie is already dead; its environ may still match (gVisor shows it)
    case "$(cat /proc/$p/stat 2>/dev/null)" in *") Z "*) continue ;; esac
    if tr '\\0' '\\n' < "$f" 2>/dev/null | grep -qxF "$m"; then kill -9 "$p" 2>/dev/null && found=1; fi
  done
  [ $found = 0 ] && exit 0
  rounds=$((rounds + 1))
done
exit 1
`;

/**
 * The engine API cannot kill an exec, so a second command in the same container kills the whole
 * process tree of the first, including children that started their own session. `run` runs a
 * command in that container (a runtime's engine exec). True when it was done; past `deadlineMs`
 * the wait stops and the answer is false.
 */
export async function killMarked(
  run: (options: RawExecOptions) => Promise<RawExecResult>,
  marker: string,
  options: KillOptions = {},
): Promise<boolean> {
  const { user, deadlineMs } = options;
  const detach = new AbortController();
  const exec: RawExecOptions = {
    cmd: ['/bin/sh', '-c', KILL_SCRIPT, 'berth-kill', `${EXEC_MARKER_ENV}=${marker}`],
    ...(user !== undefined ? { user } : {}),
    signal: detach.signal,
  };
  const kill = run(exec).then((result) => result.exitCode === 0);
  if (deadlineMs === undefined) return kill;
  // Past the deadline we stop waiting. Creating the exec can hang too, so the deadline covers
  // all of it.
  const ended = await within(deadlineMs, kill);
  if (ended === undefined) detach.abort();
  return ended ?? false;
}
