#!/usr/bin/env bash
# with-dockerd.sh CMD…: runs CMD beside a dockerd of its own (own data root, exec root, pid file
# and socket under a temporary directory; --iptables=false --bridge=none, as this machine
# needs), with the jobs' image imported from a local root filesystem (no registry here), and
# MLEX_BENCH_DOCKER_SOCKET / MLEX_BENCH_DOCKER_IMAGE set. The daemon is stopped by pid after.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dockerd=$(command -v dockerd || echo /usr/sbin/dockerd)
if [ ! -x "$dockerd" ]; then
  echo "(docker rows: skipped; dockerd is not installed — make deps installs docker.io)" >&2
  exec "$@"
fi
dir=$(mktemp -d /tmp/mlex-bench-dockerd-XXXX)
PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH" "$dockerd" --iptables=false --bridge=none --data-root "$dir/root" --exec-root "$dir/exec" \
  --pidfile "$dir/dockerd.pid" -H "unix://$dir/docker.sock" > "$dir/dockerd.log" 2>&1 &
pid=$!
stop() { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap stop EXIT
for _ in $(seq 300); do curl -sf --unix-socket "$dir/docker.sock" http://docker/_ping > /dev/null && break; sleep 0.1; done
image=mlex-bench/py:1
bash "$here/../../services/compute/Tests/docker/test-rootfs.sh" > "$dir/rootfs.tar"
curl -sf --unix-socket "$dir/docker.sock" -X POST -H 'Content-Type: application/x-tar' --data-binary @"$dir/rootfs.tar" \
  "http://docker/v1.41/images/create?fromSrc=-&repo=${image%%:*}&tag=${image##*:}" > /dev/null
rm -f "$dir/rootfs.tar"
MLEX_BENCH_DOCKER_SOCKET="$dir/docker.sock" MLEX_BENCH_DOCKER_IMAGE=$image "$@"
