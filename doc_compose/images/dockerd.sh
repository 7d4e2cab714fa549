#!/usr/bin/env bash
# dockerd.sh start|stop|host: a dockerd of its own for the compose subsets on a machine where
# Docker is not otherwise running or may not touch the network: own data root, exec root, pid
# file and socket under DIR (MLEX_COMPOSE_DOCKERD, default /tmp/mlex-compose-dockerd — apart
# from the compute tests' /tmp/mlex-dockerd-*, so both can run at once), started with
# --iptables=false --bridge=none (this machine's kernel has no usable netfilter for Docker).
#
#   eval "$(doc_compose/images/dockerd.sh start)"   # starts it if needed; prints export DOCKER_HOST=…
#   doc_compose/images/dockerd.sh stop              # SIGTERM by pid (dockerd stops its containers)
#
# It runs in a mount namespace of its own whose root is made rshared: the node agent's job disks
# are loop mounts it makes in a bind mount with `propagation: rshared` (doc_compose/services.yml),
# which Docker refuses on a private mount — and the host's / is private here. So the host's
# mount table is never changed, and the mounts go away with the daemon.
set -euo pipefail
dir=${MLEX_COMPOSE_DOCKERD:-/tmp/mlex-compose-dockerd}
socket=$dir/docker.sock
pidfile=$dir/dockerd.pid

running() { [ -S "$socket" ] && curl -sf --max-time 2 --unix-socket "$socket" http://docker/_ping > /dev/null; }

case ${1:-} in
  start)
    if ! running; then
      mkdir -p "$dir"
      # The daemon keeps no descriptor of its caller's but the log: a caller that waits for
      # this script's pipes or sockets to close (Foundation's Process does) would wait for it.
      PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" setsid unshare --mount --propagation unchanged \
        bash -c 'for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
                 mount --make-rshared / && exec dockerd "$@"' dockerd \
        --iptables=false --bridge=none --data-root "$dir/root" --exec-root "$dir/exec" \
        --pidfile "$pidfile" -H "unix://$socket" > "$dir/dockerd.log" 2>&1 < /dev/null &
      for _ in $(seq 600); do running && break; sleep 0.1; done
      running || { echo "dockerd did not answer at $socket; its log ends:" >&2; tail -20 "$dir/dockerd.log" >&2; exit 1; }
    fi
    echo "export DOCKER_HOST=unix://$socket"
    ;;
  stop)
    [ -s "$pidfile" ] || exit 0
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2> /dev/null || exit 0
    for _ in $(seq 300); do kill -0 "$pid" 2> /dev/null || exit 0; sleep 0.1; done
    kill -KILL "$pid" 2> /dev/null || true
    ;;
  host) echo "unix://$socket" ;;
  *) echo "usage: $0 start|stop|host" >&2; exit 2 ;;
esac
