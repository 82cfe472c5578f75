# SPDX-License-Identifier: Apache-2.0
# Shared helpers of the memory policing tests; sourced by every script in tests/memory.
# Builds on the integration TAP library (plan/ok/is/check/like, start_vigil/finish_vigil, $TMP
# removed on exit, $H = helper programs) and adds fake cgroup trees, JSON event queries and
# timing.

MEM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
. "$MEM_DIR/../integration/lib.sh"

# The memory tests compare their own instants with the "ts" of vigil's events, which is wall
# clock time: so here now_ms is the wall clock too (lib.sh's reads /proc/uptime).
now_ms() { date +%s%3N; }
FIXTURES=$MEM_DIR/../fixtures
PY=/usr/bin/python3
MiB=1048576

# The fixtures (tests/fixtures/cgroup-v2): memory.max 512 MiB, memory.current 256 MiB,
# inactive_file 64 MiB, so workingset = current - 64 MiB. 50% of memory.max is 256 MiB.
FIX_MAX=536870912
FIX_INACTIVE=$((64 * MiB))
BELOW=$((256 * MiB))   # workingset 192 MiB: below 50%
ABOVE=$((400 * MiB))   # workingset 336 MiB (352321536 bytes): above 50%, below 90%

# Measured grace periods (ms between the SIGTERM and the SIGKILL mem_kill events) are allowed
# to fall 100 ms short of --mem-grace: vigil starts the grace clock at the sample that triggered
# the action, so the /proc scan and the termination-log write before the signal come off the
# grace. termination_log.sh tests the exact behaviour deterministically.

# require_memory_env: root, python3 for the JSON checks, and the helper programs.
require_memory_env() {
  [ "$(id -u)" = 0 ] || skip_all "needs root"
  [ -x "$PY" ] || skip_all "needs $PY to parse the JSON events"
  local h
  for h in sigrecorder leaker; do
    [ -x "$H/$h" ] || skip_all "helper $H/$h was not built"
  done
}

# fake_v2 NAME: a copy of the cgroup v2 fixture in $TMP; prints its path.
fake_v2() {
  local d=$TMP/$1
  mkdir -p "$d" && cp "$FIXTURES"/cgroup-v2/* "$d"/ && echo "$d"
}

# fake_v1 NAME: same for the cgroup v1 fixture.
fake_v1() {
  local d=$TMP/$1
  mkdir -p "$d" && cp "$FIXTURES"/cgroup-v1/* "$d"/ && echo "$d"
}

# set_file FILE TEXT: replaces FILE atomically (a rename), so that vigil never reads it half
# written. vigil opens cgroup files afresh for every sample.
set_file() {
  printf '%s\n' "$2" >"$1.new.$$" && mv -f "$1.new.$$" "$1"
}

# write_in_place FILE TEXT: overwrites FILE's content without replacing the inode and without
# an empty moment (the inotify watch on memory.events stays valid): pwrite, then truncate.
write_in_place() {
  "$PY" - "$1" "$2" <<'EOF'
import os, sys
path, text = sys.argv[1], (sys.argv[2] + "\n").encode()
fd = os.open(path, os.O_WRONLY)
os.pwrite(fd, text, 0)
os.ftruncate(fd, len(text))
os.close(fd)
EOF
}

# set_oom_kill DIR N: memory.events of the fake tree with oom_kill N (written in place).
set_oom_kill() {
  local text
  text=$(sed -E "s/^oom_kill [0-9]+$/oom_kill $2/" "$1/memory.events")
  write_in_place "$1/memory.events" "$text"
}

# ev ARGS...: queries a JSON Lines log (see evq.py).
ev() { "$PY" "$MEM_DIR/evq.py" "$@"; }

# pid_alive PID: true while PID exists and is not a zombie.
pid_alive() {
  local s
  s=$(proc_state "$1")
  [ "$s" != gone ] && [ "$s" != Z ] && [ "$s" != X ]
}

# step_current DIR START STEP MS CAP [PAUSE_AT PAUSE_MS]: raises DIR/memory.current from START
# by STEP bytes every MS milliseconds (on a steady clock), holding at CAP; runs until killed
# (start it in the background). With PAUSE_AT, the growth stops for PAUSE_MS once the value
# would pass PAUSE_AT, then goes on. Leaks grow like this: allocators and garbage-collected
# heaps take memory in bursts.
step_current() {
  exec "$PY" - "$@" <<'PYEOF'
import os, sys, time
d, value, step, period, cap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]) / 1000, int(sys.argv[5])
pause_at = int(sys.argv[6]) if len(sys.argv) > 6 else None
pause = int(sys.argv[7]) / 1000 if len(sys.argv) > 7 else 0
t = time.monotonic()
while True:
    with open(d + "/.current.step", "w") as f:
        f.write("%d\n" % min(value, cap))
    os.rename(d + "/.current.step", d + "/memory.current")
    t += period
    if pause_at is not None and value < pause_at <= value + step:
        t += pause
    value += step
    time.sleep(max(0.0, t - time.monotonic()))
PYEOF
}
