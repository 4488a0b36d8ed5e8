/** Where the launcher keeps its phase and the hot-reload decision (the container's own layer). */
export const STATE_DIR = '/tmp/berth-preview';
export const PHASE_FILE = `${STATE_DIR}/phase`;
export const HOT_RELOAD_FILE = `${STATE_DIR}/hot-reload`;

/** Lines the launcher prints (prefixed `berth: `), which status() and start() read back. */
export const LAUNCHER_LINE = {
  prefix: 'berth: ',
  stopped: /^berth: stopped by signal/,
  exited: /^berth: the (dev server|install) exited with code (\d+)/,
  devStarting: /^berth: starting the dev server/,
  installing: /^berth: installing/,
  /** The first line of every run, with the container's clock in ms: where this run's log begins. */
  started: /^berth: launcher started at (\d+)/,
} as const;

/**
 * The preview container's main process (run by `sh -c`, under the engine's init), driven by
 * BERTH_* variables so that nothing of the app is spliced into shell text:
 *
 * 1. install, unless the marker in the node_modules volume holds the hash of the install
 *    command, package.json and the lock files (npm, pnpm, yarn; requirements.txt and
 *    pyproject.toml for Python): a restart of an unchanged app runs no npm at all. The hash is
 *    taken after the install, since npm writes package-lock.json when there was none.
 * 2. write berth's Vite wrapper config into the volume when the app is a Vite app.
 * 3. wait for berth's hot-reload decision (the host runs the inotify canary meanwhile) unless
 *    it was fixed at create (polling always/never) or decided before this container's last
 *    stop; with polling, export the app's polling variables.
 * 4. run the dev server in the background and wait for it, so a TERM (berth stop) reaches it,
 *    and print how it ended: the exit code is in the log for status() to report.
 */
export const LAUNCHER_SCRIPT = String.raw`
set -u
mkdir -p ${STATE_DIR}
say() { printf 'berth: %s\n' "$*"; }
phase() { printf '%s %s\n' "$1" "$(date +%s)" > ${PHASE_FILE}; }
stopping=0
pid=
on_term() {
  stopping=1
  say 'stopped by signal'
  phase stopped
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null; fi
}
trap on_term TERM INT
say "launcher started at $(date +%s%3N)"
run() {
  sh -c "$1" &
  pid=$!
  while :; do
    wait "$pid"
    code=$?
    kill -0 "$pid" 2>/dev/null || break
  done
  pid=
  return "$code"
}
inputs_hash() {
  {
    printf '%s\n' "$BERTH_INSTALL"
    for f in package.json package-lock.json npm-shrinkwrap.json pnpm-lock.yaml yarn.lock requirements.txt pyproject.toml; do
      if [ -f "$f" ]; then printf '== %s\n' "$f"; cat "$f"; fi
    done
  } | sha256sum | cut -d' ' -f1
}

if [ -n "$BERTH_NODE_MODULES" ] && ! [ -w "$BERTH_NODE_MODULES" ]; then
  say "node_modules ($BERTH_NODE_MODULES) is not writable by uid $(id -u): remove the app's preview volumes (berth team cleanup) and start again"
  say 'the install exited with code 77'
  phase crashed
  exit 77
fi
if [ -n "$BERTH_INSTALL" ]; then
  if ! cd "$BERTH_INSTALL_DIR"; then
    say "the install folder $BERTH_INSTALL_DIR is missing"
    say 'the install exited with code 66'
    exit 66
  fi
  if [ "$(cat "$BERTH_INSTALL_MARKER" 2>/dev/null)" = "$(inputs_hash)" ]; then
    say 'dependencies unchanged since the last install: install skipped'
  else
    phase installing
    say "installing: $BERTH_INSTALL"
    rm -f "$BERTH_INSTALL_MARKER"
    run "$BERTH_INSTALL"
    code=$?
    if [ "$stopping" = 1 ]; then exit 143; fi
    if [ "$code" != 0 ]; then
      say "the install exited with code $code"
      phase crashed
      exit "$code"
    fi
    mkdir -p "$(dirname "$BERTH_INSTALL_MARKER")"
    inputs_hash > "$BERTH_INSTALL_MARKER"
    say 'installed'
  fi
fi
if [ -n "$BERTH_VITE_WRAPPER_PATH" ]; then
  mkdir -p "$(dirname "$BERTH_VITE_WRAPPER_PATH")"
  printf '%s' "$BERTH_VITE_WRAPPER" > "$BERTH_VITE_WRAPPER_PATH"
fi

if [ -n "$BERTH_HOT_RELOAD" ]; then
  printf '%s\n%s\n' "$BERTH_HOT_RELOAD" "$BERTH_HOT_RELOAD_REASON" > ${HOT_RELOAD_FILE}
elif ! [ -s ${HOT_RELOAD_FILE} ]; then
  phase deciding
  n=0
  while ! [ -s ${HOT_RELOAD_FILE} ]; do
    if [ "$stopping" = 1 ]; then exit 143; fi
    n=$((n + 1))
    if [ "$n" -gt 1200 ]; then
      printf 'polling\nberth gave no hot-reload decision within 120 s of the install\n' > ${HOT_RELOAD_FILE}
      break
    fi
    sleep 0.1
  done
fi
mode=$(sed -n 1p ${HOT_RELOAD_FILE})
reason=$(sed -n 2p ${HOT_RELOAD_FILE})
say "hot reload: $mode ($reason)"
if [ "$mode" = polling ]; then
  export BERTH_HOT_RELOAD=polling
  old_ifs=$IFS
  IFS='
'
  for kv in $BERTH_POLLING_ENV; do export "$kv"; done
  IFS=$old_ifs
else
  export BERTH_HOT_RELOAD=inotify
fi

if ! cd "$BERTH_APP_DIR"; then
  say "the app folder $BERTH_APP_DIR is missing"
  say 'the dev server exited with code 66'
  exit 66
fi
phase starting
say "starting the dev server: $BERTH_DEV_COMMAND"
run "$BERTH_DEV_COMMAND"
code=$?
if [ "$stopping" = 1 ]; then exit 143; fi
say "the dev server exited with code $code"
phase crashed
exit "$code"
`;
