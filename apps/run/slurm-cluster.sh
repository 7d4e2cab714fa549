#!/usr/bin/env bash
# slurm-cluster.sh start|stop|status STATE_DIR: a one-node Slurm test cluster on this machine.
#
# What the Slurm executor's tests (and `make bench BENCH=slurm`) run against: no site cluster is
# reachable here, and Debian's slurm-wlm + munge (`make deps`) are enough for a real one.
# `start` writes STATE_DIR/slurm.conf + cgroup.conf, starts munged, slurmctld and slurmd as root
# in the foreground-daemon mode (each backgrounded by this script, its pid in STATE_DIR/*.pid so
# `stop` kills exactly those), and returns once `sinfo` shows the node idle. Clients find the
# cluster through `export SLURM_CONF=STATE_DIR/slurm.conf` (printed by `start` and `status`).
#
# One node, `hostname -s` plus a suffix from the state dir's path (`vm-5610`; SLURM_CLUSTER_NODE
# overrides), with the machine's CPUs and its memory less 1 GiB (override with SLURM_CLUSTER_CPUS /
# SLURM_CLUSTER_MEMORY_MB); partitions `debug` (default) and `batch`. The suffix keeps two
# clusters (two test processes at once) apart: slurmd names its cgroups
# /sys/fs/cgroup/<controller>/slurm_<node>/, and job ids restart at 1 in each cluster.
# The node has SLURM_CLUSTER_GPUS (default 2) GPUs that exist only in Slurm's books: a `gpu` gres
# whose device files are /dev/null-like devices under STATE_DIR/dev (gres.conf), so Slurm counts, allocates
# and names them (CUDA_VISIBLE_DEVICES=0 in a job of --gres=gpu:1) on a machine without GPUs.
# Limits are enforced by task/cgroup (cgroup v1 here: ConstrainRAMSpace, ConstrainCores), so a
# job over --mem is OOM-killed (state OUT_OF_MEMORY) and one over --time ends TIMEOUT.
# No slurmdbd: ended jobs stay visible to `scontrol show job` for MinJobAge (1 hour), and
# jobcomp/filetxt appends one line per ended job to STATE_DIR/jobcomp.txt.
#
# Needs root (cgroups, daemons that switch to the job's user).
set -euo pipefail

usage() {
  echo "usage: $0 start|stop|status STATE_DIR" >&2
  exit 2
}
(($# == 2)) || usage
command=$1
mkdir -p "$2"
state=$(cd "$2" && pwd)
conf=$state/slurm.conf
export SLURM_CONF=$conf

# A free TCP port: a random one in 20000-39999 that nothing listens on.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    if ! ss -Htln "sport = :$port" | grep -q .; then
      echo "$port"
      return
    fi
  done
}

# Kills the daemon whose pid file is STATE_DIR/$1.pid: SIGTERM, up to 10s, then SIGKILL.
stop_daemon() {
  local file=$state/$1.pid pid
  [[ -f $file ]] || return 0
  pid=$(<"$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

running() {
  local file=$state/$1.pid
  [[ -f $file ]] && kill -0 "$(<"$file")" 2>/dev/null
}

# Starts "$@" detached (own session, so a Ctrl-C of the caller does not reach it) with output
# to STATE_DIR/log/$name.out, and records its pid in STATE_DIR/$name.pid. Every other file
# descriptor the caller left open is closed first: a daemon that inherited, say, the fd of
# `flock LOCK <tests>` would hold that lock for as long as it runs, i.e. forever once the test
# process died without stopping the cluster.
launch() {
  local name=$1
  shift
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      if ((fd > 2)); then eval "exec $fd>&-"; fi
    done
    exec setsid "$@" </dev/null >"$state/log/$name.out" 2>&1
  ) &
  echo $! >"$state/$name.pid"
}

node_name() {
  echo "${SLURM_CLUSTER_NODE:-$(hostname -s)-$(echo "$state" | cksum | cut -c1-4)}"
}

write_config() {
  local node cpus memory gpus gres=""
  node=$(node_name)
  gpus=${SLURM_CLUSTER_GPUS:-2}
  cpus=${SLURM_CLUSTER_CPUS:-$(nproc)}
  memory=${SLURM_CLUSTER_MEMORY_MB:-$(($(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo) - 1024))}
  # Device files are what make Slurm track each GPU and set CUDA_VISIBLE_DEVICES: slurmd 22.05
  # reports a count-only gpu gres as 0 (the node goes INVAL) and ignores files that are not
  # devices. So each "GPU" is a character device like /dev/null (1,3); no ConstrainDevices, so
  # none is ever put in a job's device cgroup.
  : >"$state/gres.conf"
  if ((gpus > 0)); then
    mkdir -p "$state/dev"
    for ((i = 0; i < gpus; i++)); do [[ -c $state/dev/gpu$i ]] || mknod "$state/dev/gpu$i" c 1 3; done
    echo "NodeName=$node Name=gpu File=$state/dev/gpu[0-$((gpus - 1))]" >"$state/gres.conf"
    gres=" Gres=gpu:$gpus"
  fi
  cat >"$conf" <<EOF
# Written by apps/run/slurm-cluster.sh: a one-node test cluster, everything under $state.
ClusterName=mlex
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$state/munge/munge.socket
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/ctld/slurmctld.pid
SlurmdPidFile=$state/spool/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/cgroup
TaskPlugin=task/cgroup,task/affinity
SelectType=select/cons_tres
GresTypes=gpu
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
JobAcctGatherType=jobacct_gather/cgroup
JobAcctGatherFrequency=task=2
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$state/jobcomp.txt
MinJobAge=3600
KillWait=5
OverTimeLimit=0
InactiveLimit=0
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
# Schedule a submitted job at once: back-to-back submissions waited 2-3 s to start, ~1 s with this.
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
NodeName=$node NodeHostname=$(hostname -s) NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory$gres State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
PartitionName=batch Nodes=$node Default=NO MaxTime=INFINITE State=UP
EOF
  cat >"$state/cgroup.conf" <<EOF
CgroupPlugin=cgroup/v1
CgroupMountpoint=/sys/fs/cgroup
ConstrainCores=yes
ConstrainRAMSpace=yes
ConstrainSwapSpace=yes
AllowedSwapSpace=0
EOF
}

start() {
  if running slurmctld; then
    echo "already running: export SLURM_CONF=$conf" >&2
    return 0
  fi
  [[ $(id -u) == 0 ]] || {
    echo "$0: needs root (cgroups, slurmd)" >&2
    exit 1
  }
  command -v slurmctld >/dev/null && command -v munged >/dev/null || {
    echo "$0: slurm-wlm and munge are not installed (make deps)" >&2
    exit 1
  }
  mkdir -p "$state/ctld" "$state/spool" "$state/log" "$state/munge"
  # Readable by all: clients of any user reach munged through its socket here; the key stays 0400.
  chmod 755 "$state/munge"
  write_config
  # munged refuses group/world-readable keys; a fresh key per cluster is enough for one host.
  [[ -f $state/munge/munge.key ]] || {
    dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$state/munge/munge.key"
  }
  # --force: munged otherwise refuses to run as root and checks every parent dir's permissions.
  launch munged munged --foreground --force --socket="$state/munge/munge.socket" \
    --key-file="$state/munge/munge.key" --pid-file="$state/munge/munged.pid" \
    --seed-file="$state/munge/munged.seed" --log-file="$state/log/munged.log"
  for _ in $(seq 50); do
    [[ -S $state/munge/munge.socket ]] && break
    sleep 0.1
  done
  # -i: a fresh state dir has no state to recover; ignore any half-written one.
  launch slurmctld slurmctld -D -i -f "$conf"
  # -N: the node's name is not the host's.
  launch slurmd slurmd -D -N "$(node_name)" -f "$conf"
  local deadline=$((SECONDS + ${SLURM_CLUSTER_START_TIMEOUT:-60})) node_state=""
  while ((SECONDS < deadline)); do
    for daemon in munged slurmctld slurmd; do
      running "$daemon" || {
        echo "$0: $daemon exited; see $state/log/" >&2
        tail -20 "$state/log/$daemon.out" "$state/log/$daemon.log" 2>/dev/null >&2 || true
        stop
        exit 1
      }
    done
    node_state=$(sinfo -h -N -o %T 2>/dev/null | head -1 || true)
    if [[ $node_state == idle ]]; then
      echo "export SLURM_CONF=$conf"
      return 0
    fi
    sleep 0.3
  done
  echo "$0: node not idle after ${SLURM_CLUSTER_START_TIMEOUT:-60}s (state: ${node_state:-none}); see $state/log/" >&2
  stop
  exit 1
}

stop() {
  # Jobs first, while slurmctld/slurmd still run: their slurmstepd would otherwise outlive slurmd.
  if running slurmctld && running slurmd; then
    local jobs
    jobs=$(squeue -h -o %i 2>/dev/null || true)
    [[ -z $jobs ]] || scancel $jobs 2>/dev/null || true
    for _ in $(seq 100); do
      [[ -z $(squeue -h -t PENDING,RUNNING,SUSPENDED,COMPLETING -o %i 2>/dev/null) ]] && break
      sleep 0.1
    done
  fi
  stop_daemon slurmd
  stop_daemon slurmctld
  stop_daemon munged
}

status() {
  local all=0
  for daemon in munged slurmctld slurmd; do
    if running "$daemon"; then
      echo "$daemon: running (pid $(<"$state/$daemon.pid"))"
    else
      echo "$daemon: stopped"
      all=1
    fi
  done
  if ((all == 0)); then
    sinfo
    echo "export SLURM_CONF=$conf"
  fi
  return $all
}

case $command in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
