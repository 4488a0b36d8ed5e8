#!/usr/bin/env bash
# A remote-style engine endpoint on this machine: berth's own sshd on 127.0.0.1 (never the
# system's sshd, never /root/.ssh), with its own host key, client key, authorized_keys and
# known_hosts in one state folder. Tests reach the local Docker engine through it with
# DOCKER_HOST=ssh://root@127.0.0.1:PORT, as they would a remote one.
#
# Idempotent: keys are made once, a running sshd of this state folder is kept.
# Usage (as root): scripts/ssh-loopback.sh [--quiet]
# Env: BERTH_SSH_STATE (default /var/tmp/berth-ssh), BERTH_SSH_PORT (default 2222).
# Prints on stdout, one per line: DOCKER_HOST=…, BERTH_SSH_KEY=…, BERTH_SSH_KNOWN_HOSTS=…,
# BERTH_SSH_NODOCKER_KEY=… (a second key whose logins see no docker CLI, for tests of that case).
# Exit code 3: openssh-server is missing and cannot be installed here.
set -euo pipefail

STATE=${BERTH_SSH_STATE:-/var/tmp/berth-ssh}
PORT=${BERTH_SSH_PORT:-2222}
QUIET=0
for arg in "$@"; do
  case "$arg" in
    --quiet) QUIET=1 ;;
    -h | --help)
      sed -n '2,10p' "$0"
      exit 0
      ;;
    *)
      echo "ssh-loopback: unknown option '$arg' (try --help)" >&2
      exit 2
      ;;
  esac
done

step() { [ "$QUIET" = 1 ] || printf 'ssh-loopback: %s\n' "$*" >&2; }
fail() {
  printf 'ssh-loopback: %s\n' "$*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || fail "needs root (it runs an sshd and logs in as root); run: sudo $0"
case "$PORT" in '' | *[!0-9]*) fail "BERTH_SSH_PORT must be a port number, not '$PORT'" ;; esac
case "$STATE" in /*) ;; *) fail "BERTH_SSH_STATE must be an absolute path, not '$STATE'" ;; esac

# 1. openssh-server --------------------------------------------------------------------------
SSHD=/usr/sbin/sshd
if [ ! -x "$SSHD" ]; then
  command -v apt-get >/dev/null || {
    echo "ssh-loopback: sshd is missing and there is no apt-get to install openssh-server" >&2
    exit 3
  }
  step "installing openssh-server from Debian (one time)"
  # The package starts the system's sshd on port 22 unless policy-rc.d forbids it; berth
  # wants only its own, so it forbids it for the install when nothing else does already.
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# written by berth scripts/ssh-loopback.sh for one apt-get install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  installed=1
  { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends openssh-server >/dev/null; } ||
    installed=0
  [ "$made_policy" = 1 ] && rm -f "$policy"
  [ "$installed" = 1 ] || {
    echo "ssh-loopback: apt-get install openssh-server failed; check the machine's access to Debian's mirror" >&2
    exit 3
  }
  [ -x "$SSHD" ] || fail "openssh-server is installed but $SSHD is missing"
fi
command -v ssh-keygen >/dev/null || fail "ssh-keygen is missing (package openssh-client)"

# 2. State folder: root's alone, since its authorized_keys lets whoever holds the key in as root.
# A folder someone else made (in /var/tmp anyone can) is refused, never reused.
if [ -e "$STATE" ] || [ -L "$STATE" ]; then
  [ -d "$STATE" ] && [ ! -L "$STATE" ] || fail "$STATE exists and is not a folder; remove it or set BERTH_SSH_STATE"
  read -r owner mode < <(stat -c '%u %a' "$STATE")
  [ "$owner" = 0 ] || fail "$STATE is owned by uid $owner, not root; remove it or set BERTH_SSH_STATE"
  [ $((8#$mode & 8#077)) = 0 ] || fail "$STATE has mode $mode; it must be 700 (remove it or set BERTH_SSH_STATE)"
else
  mkdir -p "$(dirname "$STATE")"
  mkdir -m 700 "$STATE"
fi

CLIENT_KEY=$STATE/id_ed25519
HOST_KEY=$STATE/ssh_host_ed25519_key
[ -f "$HOST_KEY" ] || {
  step "making the host key"
  ssh-keygen -q -t ed25519 -N '' -C berth-loopback-host -f "$HOST_KEY"
}
[ -f "$CLIENT_KEY" ] || {
  step "making the client key"
  ssh-keygen -q -t ed25519 -N '' -C berth-loopback-client -f "$CLIENT_KEY"
}
NODOCKER_KEY=$STATE/id_ed25519_nodocker
[ -f "$NODOCKER_KEY" ] || ssh-keygen -q -t ed25519 -N '' -C berth-loopback-nodocker -f "$NODOCKER_KEY"
# the second key's logins run their command with a PATH that holds no docker: a remote
# without the docker CLI, as far as a client can tell
{
  cat "$CLIENT_KEY.pub"
  printf 'restrict,command="PATH=/nonexistent; eval \\"$SSH_ORIGINAL_COMMAND\\"" %s\n' "$(cat "$NODOCKER_KEY.pub")"
} >"$STATE/authorized_keys.new"
chmod 600 "$STATE/authorized_keys.new"
mv "$STATE/authorized_keys.new" "$STATE/authorized_keys"
# what a client must accept, written as ssh writes it for a port other than 22
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$HOST_KEY.pub")" >"$STATE/known_hosts"
chmod 644 "$STATE/known_hosts"

# 3. sshd_config -------------------------------------------------------------------------------
PID_FILE=$STATE/sshd.pid
config=$(
  cat <<EOF
# berth's loopback sshd (scripts/ssh-loopback.sh); the system's sshd does not read this file
Port $PORT
ListenAddress 127.0.0.1
HostKey $HOST_KEY
PidFile $PID_FILE
AuthorizedKeysFile $STATE/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
# PAM's session modules (loginuid) fail in containers; key checks need no PAM
UsePAM no
# sshd's own mode check would refuse any key file below /var/tmp (mode 1777); the state
# folder's owner and mode are checked above instead
StrictModes no
AllowUsers root
X11Forwarding no
AllowAgentForwarding no
PermitTunnel no
PrintMotd no
LogLevel ERROR
Subsystem sftp internal-sftp
EOF
)
config_changed=0
if [ ! -f "$STATE/sshd_config" ] || [ "$(cat "$STATE/sshd_config")" != "$config" ]; then
  printf '%s\n' "$config" >"$STATE/sshd_config"
  config_changed=1
fi
mkdir -p /run/sshd # sshd's privilege separation folder; Debian's unit makes it, a container may not
chmod 755 /run/sshd
"$SSHD" -t -f "$STATE/sshd_config" || fail "sshd refuses $STATE/sshd_config (see above)"

# 4. sshd --------------------------------------------------------------------------------------
running_pid() {
  local pid
  [ -f "$PID_FILE" ] || return 1
  pid=$(cat "$PID_FILE")
  case "$pid" in '' | *[!0-9]*) return 1 ;; esac
  # the pid must still be this state folder's sshd, not a recycled number
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "-f $STATE/sshd_config" || return 1
  echo "$pid"
}
port_answers() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null; }

if pid=$(running_pid); then
  if [ "$config_changed" = 1 ]; then
    step "reloading sshd (pid $pid) for its changed config"
    kill -HUP "$pid"
    sleep 0.5
  fi
else
  if port_answers; then
    fail "127.0.0.1:$PORT is taken by another program; set BERTH_SSH_PORT to a free port"
  fi
  step "starting sshd on 127.0.0.1:$PORT (state: $STATE)"
  "$SSHD" -f "$STATE/sshd_config" -E "$STATE/sshd.log" || fail "sshd did not start; see $STATE/sshd.log"
fi
for _ in $(seq 1 50); do
  port_answers && break
  sleep 0.1
done
port_answers || fail "sshd does not answer on 127.0.0.1:$PORT within 5 s; see $STATE/sshd.log"

# 5. The login works and reaches an engine (what berth will do: run the docker CLI there) --------
login=(ssh -q -i "$CLIENT_KEY" -p "$PORT" -o BatchMode=yes -o IdentitiesOnly=yes
  -o UserKnownHostsFile="$STATE/known_hosts" -o GlobalKnownHostsFile=/dev/null
  -o StrictHostKeyChecking=yes -o ConnectTimeout=5 root@127.0.0.1)
if ! "${login[@]}" true </dev/null; then
  fail "sshd answers but the key login as root fails; see $STATE/sshd.log"
fi
if ! "${login[@]}" docker version --format '{{.Server.Version}}' </dev/null >/dev/null 2>&1; then
  step "warning: the login works but 'docker version' fails there (no docker CLI or no engine answering)"
fi

echo "DOCKER_HOST=ssh://root@127.0.0.1:$PORT"
echo "BERTH_SSH_KEY=$CLIENT_KEY"
echo "BERTH_SSH_KNOWN_HOSTS=$STATE/known_hosts"
echo "BERTH_SSH_NODOCKER_KEY=$NODOCKER_KEY"
