#!/usr/bin/env bash
# supervise.sh STATE_DIR BIN_DIR EXE…: what `make run` and `make run_<svc>_service` run.
#
# Starts each $BIN_DIR/EXE with MLEX_STATE_DIR=STATE_DIR, records its pid in
# STATE_DIR/run/EXE.pid (what `make stop` reads, so it still works if this script itself is
# SIGKILLed), waits for each to answer `GET /ready` (below), prints the URL table, then keeps
# the platform up: a process that exits on its own is reported loudly on stderr and restarted
# after a backoff (1s, doubling up to MLEX_RESTART_MAX_BACKOFF, default 30s; back to 1s once it
# has stayed up MLEX_RESTART_STABLE_SECONDS, default 60s). The others keep running: one crash no longer takes
# the whole platform down, and a crash loop cannot spin the CPU.
#
# The "running" table comes only once every process with a known port answers 200 on
# `GET /ready` (curl, polled every 0.5s, up to MLEX_READY_TIMEOUT, default 60s): it is then the
# last thing on the screen before the request logs, and its URLs work. A process that is not
# ready by then is named on stderr with what its /ready last said, and marked in the table; the
# others are usable meanwhile. A process's URL is what it binds: MLEX_<SVC>_HOST/PORT
# (MLEX_AGENT_PORT for the compute agent) from the environment, else from
# $MLEX_CONFIG_DIR/<svc>.env or mlex.env (default config/), else the built-in default.
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
ready_timeout=${MLEX_READY_TIMEOUT:-60}
for setting in "MLEX_RESTART_MAX_BACKOFF=$max_backoff" "MLEX_RESTART_STABLE_SECONDS=$stable_seconds" "MLEX_READY_TIMEOUT=$ready_timeout"; do
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

# setting KEY FILE...: the value a process reads for KEY: the environment's, else the last line
# setting it in the first FILE that has one, else nothing (libs/Platform's ConfigLoader order,
# less the command line, which make does not pass).
setting() {
  local key=$1 file line
  shift
  if [[ -n ${!key:-} ]]; then echo "${!key}"; return; fi
  for file in "$@"; do
    line=$(grep -E "^[[:space:]]*$key=" "$file" 2>/dev/null | tail -n 1)
    [[ -n $line ]] || continue
    line=${line#*=}
    line=${line%\"}; line=${line#\"}; line=${line%\'}; line=${line#\'}
    echo "$line"
    return
  done
}

# Per executable: its base URL (empty: no known port, so neither polled nor linked) and, once
# its /ready answered 200, ready_of[EXE]=1; until then why_not[EXE] says what it last answered.
declare -A url_of=() ready_of=() why_not=()
config_dir=${MLEX_CONFIG_DIR:-config}
for exe in "${executables[@]}"; do
  svc=${exe#mlex-}
  key=${svc//[^A-Za-z0-9]/_}; key=${key^^}
  files=("$config_dir/$svc.env" "$config_dir/mlex.env")
  case $svc in
    web) default=8000;; compute) default=8080;; users) default=8081;; data) default=8082;;
    ingest) default=8083;; mlhub) default=8084;; tag) default=8085;;
    # The agent reads compute's settings and files, and has a port key of its own.
    compute-agent) default=8090 key=COMPUTE files=("$config_dir/compute.env" "$config_dir/mlex.env");;
    *) default='';;
  esac
  if [[ $svc == compute-agent ]]; then port=$(setting MLEX_AGENT_PORT "${files[@]}"); else port=$(setting "MLEX_${key}_PORT" "${files[@]}"); fi
  port=${port:-$default}
  host=$(setting "MLEX_${key}_HOST" "${files[@]}")
  case $host in ''|0.0.0.0|::|'[::]') host=127.0.0.1;; *:*) host="[${host#[}"; host="${host%]}]";; esac
  url_of[$exe]=${port:+http://$host:$port}
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

# Polls /ready of each process not yet ready; succeeds once every one with a URL is.
poll_ready() {
  local exe answer code failing pending=''
  for exe in "${executables[@]}"; do
    [[ -z ${url_of[$exe]} || -n ${ready_of[$exe]:-} ]] && continue
    answer=$(curl -s --noproxy '*' -m 2 -w '\n%{http_code}' "${url_of[$exe]}/ready" 2>/dev/null)
    code=${answer##*$'\n'}
    if [[ $code == 200 ]]; then
      ready_of[$exe]=1
      continue
    fi
    pending+=" $exe"
    if [[ $code == 000 || -z $code ]]; then
      why_not[$exe]='no answer'
    else
      # A 503 names its failing dependencies: {"failing":["bus",…],…}.
      failing=$(grep -oE '"failing" *: *\[[^]]*\]' <<< "${answer%$'\n'*}" | sed -E 's/.*\[(.*)\]/\1/; s/"//g; s/,/, /g')
      why_not[$exe]="answered $code${failing:+ (failing: $failing)}"
    fi
  done
  [[ -z $pending ]]
}

# The URL table; a process not ready is named on stderr first and marked in the table.
banner() {
  local exe svc note late=''
  for exe in "${executables[@]}"; do
    [[ -n ${url_of[$exe]} && -z ${ready_of[$exe]:-} ]] && late+=" ${exe#mlex-}"
  done
  echo
  if [[ -n $late ]]; then
    echo "!!! not ready after ${ready_timeout}s:$late" >&2
    for exe in "${executables[@]}"; do
      [[ -n ${url_of[$exe]} && -z ${ready_of[$exe]:-} ]] || continue
      if [[ -n ${pid_of[$exe]} ]]; then note=''; else note=' (not running: its exit is above)'; fi
      echo "!!!   ${exe#mlex-}: ${url_of[$exe]}/ready: ${why_not[$exe]:-no answer}$note" >&2
    done
    echo "MLExchange is running (state in $state_dir/), but not all of it is ready (above; its log says why); Ctrl-C stops it all; a process that dies is restarted:"
  else
    echo "MLExchange is running (state in $state_dir/); Ctrl-C stops it all; a process that dies is restarted:"
  fi
  for exe in "${executables[@]}"; do
    svc=${exe#mlex-}
    if [[ -z ${url_of[$exe]} ]]; then
      printf "  %-8s (no known port)\n" "$svc"
    elif [[ -n ${ready_of[$exe]:-} ]]; then
      printf "  %-8s %s  (docs: /docs)\n" "$svc" "${url_of[$exe]}"
    else
      printf "  %-8s %s  NOT READY\n" "$svc" "${url_of[$exe]}"
    fi
  done
}

# Without curl nothing can be polled: the table comes after the startup logs, as it used to.
if ! command -v curl >/dev/null; then
  echo "supervise: curl not found (make deps installs it): not waiting for /ready" >&2
  pause 1
  [[ -n $stop_signal ]] && shutdown
  for exe in "${executables[@]}"; do ready_of[$exe]=1; done
  banner
  shown=1
else
  shown=''
fi
now_ms; ready_deadline=$(( now + ready_timeout * 1000 ))

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
  # Until the table is out: poll, and show it once all are ready or the time is up. The pause
  # first lets the access-log lines of the last polls out (a service logs a request after its
  # answer), so that the table is the last thing on the screen.
  if [[ -z $shown ]]; then
    if poll_ready; then
      pause 0.3
      [[ -n $stop_signal ]] && shutdown
      banner; shown=1
    elif (( now >= ready_deadline )); then
      banner; shown=1
    fi
  fi
  pause 0.5
done
