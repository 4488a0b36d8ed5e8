import type { ContainerRuntime, ExecTarget, RawExecOptions } from '../runtime/container-runtime.js';
import { within } from '../runtime/within.js';

/**
 * POSIX sh that SIGKILLs every process in the sandbox's pid namespace except pid 1 (docker-init),
 * the container's main process, and this script with its ancestors (the runner and its request
 * shell, when the script came through the runner). It repeats until a pass finds nothing, so
 * children forked mid-kill are caught too. Nothing a process can change about itself decides
 * whether it is spared: not its environment, name, session or parent.
 *
 * The main process is the earliest started (field 22 of /proc/<pid>/stat, fixed by the kernel at
 * fork) among the children of pid 1: it started with the container, before anything else could.
 * Fields are read after the last ")" (the name in parentheses may hold anything, ")" included);
 * a line that does not parse (a name holding a newline) is never spared and never the main one.
 *
 * Fields are split with globbing off (only the /proc listing globs), so a name cannot expand to
 * file names. Only builtins run inside the loop (read, set, case, kill, test), so it forks nothing
 * of its own while it kills. The main process's own children (the keep-alive's sleep, the
 * runner's request shells) are killed too but do not count as found: the keep-alive starts a
 * new sleep at once, which must not keep the loop going. busybox ash, dash and bash run it;
 * gVisor's /proc shows the same fields. Exit 0: nothing but the keep-alive's sleep was there;
 * 3: it killed something else (the agent's); 1: it could not finish.
 */
const REAP_SCRIPT = `
cd / || exit 2
self=$$
keep=" 1 $self "
p=$self
set -f
while :; do
  s=; { IFS= read -r s < /proc/$p/stat; } 2>/dev/null
  set -- \${s##*") "}
  [ $# -ge 20 ] || break
  case "$2" in ''|0|1|*[!0-9]*) break ;; esac
  keep="$keep$2 "; p=$2
done
main=; best=
set +f; for d in /proc/[0-9]*; do set -f
  p=\${d#/proc/}
  [ "$p" = 1 ] && continue
  s=; { IFS= read -r s < "$d/stat"; } 2>/dev/null
  set -- \${s##*") "}
  [ $# -ge 20 ] && [ "$2" = 1 ] || continue
  t=\${20}
  case "$t" in ''|*[!0-9]*) continue ;; esac
  if [ -z "$best" ] || [ "$t" -lt "$best" ] || { [ "$t" -eq "$best" ] && [ "$p" -lt "$main" ]; }; then
    best=$t; main=$p
  fi
done
[ -n "$main" ] || exit 2
keep="$keep$main "
rounds=0; other=0
while [ $rounds -lt 50 ]; do
  found=0
  set +f; for d in /proc/[0-9]*; do set -f
    p=\${d#/proc/}
    case "$keep" in *" $p "*) continue ;; esac
    s=; { IFS= read -r s < "$d/stat"; } 2>/dev/null
    [ -n "$s" ] || continue
    set -- \${s##*") "}
    counts=1
    if [ $# -ge 20 ]; then
      # a zombie is dead already (its parent or pid 1 collects it)
      case "$1" in Z|X) continue ;; esac
      [ "$2" = "$main" ] && counts=0
    fi
    c=; [ $counts = 0 ] && { IFS= read -r c < "$d/comm"; } 2>/dev/null
    kill -9 "$p" 2>/dev/null || continue
    [ $counts = 1 ] && found=1
    # anything but the keep-alive's sleep: something of the agent's was still there
    [ $counts = 1 ] || [ "$c" != sleep ] && other=1
  done
  [ $found = 0 ] && exit $((other * 3))
  rounds=$((rounds + 1))
done
exit 1
`;

export interface ReapOptions {
  /** Stop waiting after this long and report failure (the caller restarts the sandbox). */
  deadlineMs: number;
}

/**
 * Ends every process of the agent's in a session's sandbox, whatever it did to hide: only pid 1
 * and the container's main process survive. True when a pass found nothing left; false when it
 * could not be done within the deadline (the caller then restarts the sandbox). Never throws.
 *
 * It ends concurrent commands of the same sandbox too: callers run one tool call at a time.
 */
export async function reapSandbox(
  runtime: ContainerRuntime,
  target: ExecTarget,
  options: ReapOptions,
): Promise<boolean> {
  return (await reapSandboxReport(runtime, target, options)) !== 'failed';
}

/**
 * As reapSandbox, saying what it found: `clean` when nothing of the agent's was left, `killed`
 * when it ended something, `failed` when it could not within the deadline.
 */
export async function reapSandboxReport(
  runtime: ContainerRuntime,
  target: ExecTarget,
  options: ReapOptions,
): Promise<'clean' | 'killed' | 'failed'> {
  const detach = new AbortController();
  const exec: RawExecOptions = {
    cmd: ['/bin/sh', '-c', REAP_SCRIPT, 'berth-reap'],
    signal: detach.signal,
  };
  const reap = (async () => {
    // the runtime's fastest way in (the agent where there is one), like the call itself
    const result = await runtime.exec.run(target, exec);
    return result.exitCode === 0 ? 'clean' : result.exitCode === 3 ? 'killed' : 'failed';
  })();
  // Creating the exec, or a runner out of tasks, can hang too: the deadline covers all of it.
  const outcome = await within(options.deadlineMs, reap);
  if (outcome === undefined) detach.abort();
  return outcome ?? 'failed';
}
