#!/usr/bin/env bash
# supervise.sh STATE_DIR BIN_DIR EXE…: what `make run` and `make run_<svc>_service` run.
#
# Starts each $BIN_DIR/EXE with MLEX_STATE_DIR=STATE_DIR, records its pid in
# STATE_DIR/run/EXE.pid (what `make stop` reads, so it still works if this script itself is
# SIGKILLed), prints the URL table, then keeps the platform up: a process that exits on its own
# is reported loudly on stderr and restarted after a backoff (1s, doubling up to
# MLEX_RESTART_MAX_BACKOFF, default 30s; back to 1s once it has stayed up
# MLEX_RESTART_STABLE_SECONDS, default 60s). The others keep running: one crash no longer takes
# the whole platform down, and a crash loop cannot spin the CPU.
#
# Ctrl-C (SIGINT), SIGTERM or SIGHUP stops every child (SIGTERM, up to 10s, then SIGKILL),
# removes the pid files and exits 0; a second signal during that skips the wait.
#
# A child whose pid file was removed (or rewritten) by someone else — `make stop` from another
# terminal does both kill and rm — was stopped on purpose: it is not restarted, and once no child
# is left to watch this script exits.
#
# Polling (every 0.5s, `kill -0` on each pid) rather than `wait -n`: bash reaps its children as
# they die, so a pid that no longer answers `kill -0` has exited and `wait PID` still returns
# its status; the loop also drives the restart timers. The signal traps only set a flag, acted on
# by the loop: a trap running in the middle of starting a child could otherwise lose its pid.
set -u

if (( $# < 3 )); then
  echo "usage: $0 STATE_DIR BIN_DIR EXECUTABLE..." >&2
  exit 2
fi
state_dir=$1 bin_dir=$2
shift 2
executables=("$@")
run_dir=$state_dir/run

# Seconds; integers so the backoff arithmetic stays in bash.
max_backoff=${MLEX_RESTART_MAX_BACKOFF:-30}
stable_seconds=${MLEX_RESTART_STABLE_SECONDS:-60}
for setting in "MLEX_RESTART_MAX_BACKOFF=$max_backoff" "MLEX_RESTART_STABLE_SECONDS=$stable_seconds"; do
  if [[ ! ${setting#*=} =~ ^[1-9][0-9]*$ ]]; then
    echo "supervise: $setting: expected a whole number of seconds >= 1" >&2
    exit 2
  fi
done

# Checked up front: a missing binary would otherwise just crash-loop.
for exe in "${executables[@]}"; do
  if [[ ! -x $bin_dir/$exe ]]; then
    echo "supervise: $bin_dir/$exe is not an executable; build first (make build)" >&2
    exit 2
  fi
done
mkdir -p "$run_dir" || exit 1

# A pid file whose process is alive and still this executable means another `make run` (or
# the children of one whose supervisor was killed) owns this state dir: starting a second set
# would fight over the ports and overwrite the pid files that `make stop` needs. A stale pid
# file (process gone, or the pid reused by another program) is simply overwritten.
for exe in "${executables[@]}"; do
  pid=$(cat "$run_dir/$exe.pid" 2>/dev/null) || continue
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || continue
  cmdline=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || continue
  if [[ $cmdline == *"$exe"* ]]; then
    echo "supervise: $exe is already running as pid $pid ($run_dir/$exe.pid); stop it first: make stop STATE_DIR=$state_dir" >&2
    exit 1
  fi
done

# Per executable: its pid while running (empty while waiting to restart, or once retired), when
# it started and when its restart is due (milliseconds), its next backoff and restart count.
declare -A pid_of=() started_ms=() due_ms=() backoff=() restarts=()
declare -A last_pid=()  # the pid it had before it exited
stop_signal=''  # set by the traps; the loop acts on it
stopping=''     # set once the stop has begun
force=''        # set by a second signal while stopping: skip the 10s grace
sleeper=''      # the pid of the `sleep` the loop waits on
stopped=''      # set once the children are stopped, so the EXIT trap does nothing more

now_ms() {  # into $now, without forking: EPOCHREALTIME is seconds with 6 decimals
  local micros=${EPOCHREALTIME//[!0-9]/}
  now=$(( micros / 1000 ))
}

# Waits up to $1 seconds, returning early when a trapped signal arrives: `wait` is interrupted
# by traps, a foreground `sleep` is not.
pause() {
  sleep "$1" & sleeper=$!
  # Only an interrupted wait leaves the sleep running (and not yet reaped, so its pid is ours).
  wait "$sleeper" 2>/dev/null || kill "$sleeper" 2>/dev/null
  sleeper=''
}

# The pid file is written to a temporary name and renamed, so a reader (make stop, the tests)
# never sees it empty.
start() {
  local exe=$1 pid
  MLEX_STATE_DIR=$state_dir "$bin_dir/$exe" &
  pid=$!
  pid_of[$exe]=$pid
  now_ms; started_ms[$exe]=$now
  due_ms[$exe]=''
  echo "$pid" > "$run_dir/$exe.pid.tmp" && mv -f "$run_dir/$exe.pid.tmp" "$run_dir/$exe.pid"
}

# Whether $1's pid file still names the pid we started: if not, someone stopped it on purpose.
owns_pid_file() {
  local exe=$1 recorded
  recorded=$(cat "$run_dir/$exe.pid" 2>/dev/null) || return 1
  [[ $recorded == "${pid_of[$exe]:-${last_pid[$exe]:-}}" ]]
}

# $1 exited by itself: report it loudly and schedule its restart.
exited() {
  local exe=$1 pid=${pid_of[$1]} status how delay uptime
  wait "$pid" 2>/dev/null; status=$?
  now_ms
  uptime=$(( (now - started_ms[$exe]) / 1000 ))
  last_pid[$exe]=$pid
  pid_of[$exe]=''
  how="status $status"
  if (( status > 128 && status < 128 + 65 )); then
    how+=" (signal $(( status - 128 )), SIG$(kill -l $(( status - 128 )) 2>/dev/null))"
  fi
  if ! owns_pid_file "$exe"; then
    echo "!!! $exe exited with $how after ${uptime}s; its pid file was removed or replaced (make stop?): not restarting it" >&2
    return
  fi
  # A process that stayed up long enough is starting a fresh crash sequence.
  if (( uptime >= stable_seconds )); then backoff[$exe]=1; fi
  delay=${backoff[$exe]}
  backoff[$exe]=$(( delay * 2 > max_backoff ? max_backoff : delay * 2 ))
  restarts[$exe]=$(( restarts[$exe] + 1 ))
  due_ms[$exe]=$(( now + delay * 1000 ))
  echo "!!! $exe exited with $how after ${uptime}s; restarting in ${delay}s (restart ${restarts[$exe]})" >&2
}

restart() {
  local exe=$1
  # `make stop` removes the pid file right after the process is gone; the backoff (at least 1s)
  # leaves it time to do so, and then the child stays stopped.
  if ! owns_pid_file "$exe"; then
    echo "!!! $exe: its pid file was removed or replaced meanwhile (make stop?): not restarting it" >&2
    due_ms[$exe]=''
    return
  fi
  start "$exe"
  echo "!!! $exe restarted as pid ${pid_of[$exe]}" >&2
}

# SIGTERM to every child, up to 10s for them to go, SIGKILL for the rest, pid files removed.
stop_children() {
  local exe pid deadline alive
  for exe in "${executables[@]}"; do
    pid=${pid_of[$exe]:-}
    [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null
  done
  now_ms; deadline=$(( now + 10000 ))
  while :; do
    alive=''
    for exe in "${executables[@]}"; do
      pid=${pid_of[$exe]:-}
      [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && alive+=" $exe"
    done
    now_ms
    if [[ -z $alive || -n $force ]] || (( now >= deadline )); then break; fi
    sleep 0.1
  done
  for exe in $alive; do
    echo "!!! $exe (pid ${pid_of[$exe]}) did not stop; sending SIGKILL" >&2
    kill -KILL "${pid_of[$exe]}" 2>/dev/null
  done
  [[ -n $sleeper ]] && kill "$sleeper" 2>/dev/null
  wait 2>/dev/null  # reaps them all; none outlives SIGKILL
  # Only the pid files that are still ours: one `make stop` removed stays removed.
  for exe in "${executables[@]}"; do
    owns_pid_file "$exe" && rm -f "$run_dir/$exe.pid"
  done
  stopped=1
}

on_signal() {
  if [[ -n $stopping ]]; then force=1; else stop_signal=${stop_signal:-$1}; fi
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP
# Whatever ends this script (even a bug tripping `set -u`), its children go with it.
trap '[[ -n $stopped ]] || stop_children' EXIT

shutdown() {
  local exe running=''
  stopping=1
  for exe in "${executables[@]}"; do [[ -n ${pid_of[$exe]:-} ]] && running+=" $exe"; done
  echo "supervise: SIG$stop_signal: stopping${running:- (nothing is running)}" >&2
  stop_children
  exit 0
}

for exe in "${executables[@]}"; do
  pid_of[$exe]='' due_ms[$exe]='' backoff[$exe]=1 restarts[$exe]=0
  start "$exe"
done

# Startup logs first, then the table.
pause 1
[[ -n $stop_signal ]] && shutdown
echo
echo "MLExchange is running (state in $state_dir/); Ctrl-C stops it all; a process that dies is restarted:"
for exe in "${executables[@]}"; do
  svc=${exe#mlex-}
  case $svc in
    web) port=8000;; compute) port=8080;; users) port=8081;; data) port=8082;;
    ingest) port=8083;; mlhub) port=8084;; tag) port=8085;; compute-agent) port=8090;;
    *) port='';;
  esac
  if [[ -n $port ]]; then
    printf "  %-8s http://127.0.0.1:%s  (docs: /docs)\n" "$svc" "$port"
  else
    printf "  %-8s (no known port)\n" "$svc"
  fi
done

while :; do
  [[ -n $stop_signal ]] && shutdown
  now_ms
  watching=''
  for exe in "${executables[@]}"; do
    if [[ -n ${pid_of[$exe]:-} ]]; then
      watching=1
      kill -0 "${pid_of[$exe]}" 2>/dev/null || exited "$exe"
    elif [[ -n ${due_ms[$exe]:-} ]]; then
      watching=1
      (( now >= due_ms[$exe] )) && restart "$exe"
    fi
  done
  if [[ -z $watching ]]; then
    echo "supervise: every process was stopped from outside; nothing left to supervise" >&2
    stopped=1
    exit 0
  fi
  pause 0.5
done
