#!/usr/bin/env bash
# Exhaustive verification of the protocol models with spin: the RPC protocol (rpc.pml), the
# uses and release of a VFS inode (inode_use.pml), the TLB shootdown of a process's
# threads (shootdown.pml), a process copy's VMM filled from its reference (copy.pml), a
# process's stop by PROCESS_SIGACTION (stop.pml), the wait for a process's children
# (wait.pml), a fork's image against the kernel's holds of pages for writing (fork_hold.pml),
# execve's stop of a process's threads against a kill (exec.pml), a pipe's readers, writers
# and pollers (pipe.pml), a signal's wake-up of a thread that waits, or that waits for it
# (signal.pml), a process's interval timer and the thread that sends its SIGALRM (alarm.pml),
# and its CPU-time timers counted down by its threads (cputimer.pml).
# Usage: check.sh [--full] [--keep] [-j N] [-DNAME[=value]...]
#   --full        also the largest runs (three clients: 45, 19 and 1 million states;
#                 the multicast's liveness: 11 million; three walkers of an inode, three
#                 threads and two threads of a copy in the shootdown), 3 minutes more on
#                 2 cores and 5.5 GB: run them when the protocol or the model changes
#                 (make model); ctest runs the others
#   --keep        keep the work directory (pan sources, trails) and print its path
#   -j N          runs at once (default 2)
#   -D...         extra defines for every run (rpc.pml's switches)
# Prints one line per run; exits 0 only when every run reports "errors: 0" and a complete
# search, 1 otherwise, 77 when spin (or a C compiler) is not installed.
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

full=0
keep=0
jobs=2
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --full) full=1 ;;
    --keep) keep=1 ;;
    -j) shift; jobs="$1" ;;
    -j*) jobs="${1#-j}" ;;
    -D*) extra+=("$1") ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "check.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if ! command -v spin >/dev/null 2>&1; then
  echo "SKIP: spin not installed"
  exit 77
fi
cc="${CC:-}"
if [ -z "$cc" ]; then
  for candidate in gcc cc clang; do
    if command -v "$candidate" >/dev/null 2>&1; then cc="$candidate"; break; fi
  done
fi
if [ -z "$cc" ]; then
  echo "SKIP: no C compiler for pan"
  exit 77
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/mkh-rpc-model.XXXXXX")"
if [ "$keep" -eq 0 ]; then trap 'rm -rf "$work"' EXIT; fi

# name | spin defines | pan compile flags | pan run flags | model (default rpc.pml)
# Safety runs: assertions (properties 1, 4, 5), invalid end states and end_state_check
# (properties 2, 3 at rest). LTL runs: acceptance cycles under weak fairness (-a -f).
# Three clients with services that may block make the largest state space: the safety
# run lets any number of services block (both RPC threads blocked: the pool exhausted);
# the LTL run of three clients lets at most one block (-DMAXBLOCKS=1), the two-client and
# multicast runs any number. The nested_fanin runs bound the pool at 1 thread not blocked
# in a service (cap 2): a nested call that comes back needs a second thread while the
# first waits in it (under a bound counting every thread, they end in the deadlock).
safety_cc="-DSAFETY -DNOCLAIM -DMEMLIM=8000"
ltl_cc="-DNFAIR=4 -DMEMLIM=8000"
# The full check's four largest runs (about 70 % of its time) come first.
runs=()
if [ "$full" -eq 1 ]; then
  runs+=(
    "safety-3clients|-DNCLIENTS=3|$safety_cc|-m100000 -w27"
    "ltl-no_sleep_with_work-3clients-1block|-DNCLIENTS=3 -DMAXBLOCKS=1|$ltl_cc|-m100000 -w26 -a -f -N no_sleep_with_work"
    "ltl-no_sleep_with_work-multicast+1client|-DMULTICAST -DNCLIENTS=1|$ltl_cc|-m100000 -w25 -a -f -N no_sleep_with_work"
    "ltl-all_return-3clients-noblock|-DNCLIENTS=3 -DSVC_BLOCK=0|$ltl_cc|-m100000 -w24 -a -f -N all_return"
    "safety-inode-2walkers-opener-2syncers|-DNWALKERS=2|$safety_cc -DCOLLAPSE|-m200000 -w24|inode_use.pml"
    "safety-shootdown-3threads|-DNTHREADS=3|$safety_cc|-m100000 -w24|shootdown.pml"
    "safety-shootdown-2copy_threads-replica-2runs|-DCOPY -DREPLICA -DNCOPY=2|$safety_cc|-m100000 -w26|shootdown.pml"
  )
fi
runs+=(
  "safety-multicast+1client|-DMULTICAST -DNCLIENTS=1|$safety_cc|-m100000 -w25"
  "ltl-all_return-2clients|-DNCLIENTS=2|$ltl_cc|-m100000 -w24 -a -f -N all_return"
  "ltl-all_return-nested-2clients|-DNESTED -DNCLIENTS=2|$ltl_cc|-m100000 -w24 -a -f -N all_return"
  "ltl-all_return-multicast+1client-noblock|-DMULTICAST -DNCLIENTS=1 -DSVC_BLOCK=0|$ltl_cc|-m100000 -w22 -a -f -N all_return"
  "ltl-all_return-multicast|-DMULTICAST -DNCLIENTS=0|$ltl_cc|-m100000 -w22 -a -f -N all_return"
  "safety-2clients|-DNCLIENTS=2|$safety_cc|-m100000 -w22"
  "safety-nested-2clients|-DNESTED -DNCLIENTS=2|$safety_cc|-m100000 -w22"
  "ltl-no_sleep_with_work-2clients|-DNCLIENTS=2|$ltl_cc|-m100000 -w22 -a -f -N no_sleep_with_work"
  "safety-create_fails-2clients|-DCREATE_FAILS_ONCE -DNCLIENTS=2|$safety_cc|-m100000 -w23"
  "ltl-no_sleep_with_work-create_fails-2clients|-DCREATE_FAILS_ONCE -DNCLIENTS=2|$ltl_cc|-m100000 -w23 -a -f -N no_sleep_with_work"
  "ltl-all_return-create_fails-nested-2clients|-DCREATE_FAILS_ONCE -DNESTED -DNCLIENTS=2|$ltl_cc|-m100000 -w23 -a -f -N all_return"
  "safety-nested_fanin-bound1-2clients|-DNESTED -DPOOL_BOUND=1 -DNCLIENTS=2|$safety_cc|-m100000 -w22"
  "ltl-all_return-nested_fanin-bound1-2clients|-DNESTED -DPOOL_BOUND=1 -DNCLIENTS=2|$ltl_cc|-m100000 -w24 -a -f -N all_return"
  "ltl-no_sleep_with_work-nested_fanin-bound1-2clients|-DNESTED -DPOOL_BOUND=1 -DNCLIENTS=2|$ltl_cc|-m100000 -w22 -a -f -N no_sleep_with_work"
  "safety-inode-walker-opener-2syncers||$safety_cc|-m100000 -w22|inode_use.pml"
  "safety-shootdown-2threads||$safety_cc|-m100000 -w20|shootdown.pml"
  "safety-shootdown-2threads-self_change|-DSELF_CHANGE|$safety_cc|-m100000 -w22|shootdown.pml"
  "safety-shootdown-thread+copy_thread|-DCOPY|$safety_cc|-m100000 -w22|shootdown.pml"
  "safety-shootdown-2copy_threads-replica|-DCOPY -DREPLICA -DNCOPY=2 -DRUNS=1|$safety_cc|-m100000 -w24|shootdown.pml"
  "safety-copy-3changes-3faults||$safety_cc|-m100000 -w20|copy.pml"
  "safety-stop-2rounds||$safety_cc|-m10000 -w16|stop.pml"
  "safety-stop-2rounds-kill|-DKILL|$safety_cc|-m10000 -w16|stop.pml"
  "safety-wait-2children-2waiters||$safety_cc|-m100000 -w20|wait.pml"
  "safety-wait-2children-2waiters-kill|-DKILL|$safety_cc|-m100000 -w22|wait.pml"
  "safety-wait-2sleepers-2waiters-kill|-DKILL -DSLEEPERS|$safety_cc|-m100000 -w20|wait.pml"
  "safety-wait-2children-2waiters-stops|-DSTOPS|$safety_cc|-m100000 -w22|wait.pml"
  "safety-wait-2sleepers-2waiters-kill-stops|-DKILL -DSLEEPERS -DSTOPS|$safety_cc|-m100000 -w22|wait.pml"
  "safety-fork_hold-2readers||$safety_cc|-m100000 -w20|fork_hold.pml"
  "ltl-fork_made-2readers||$ltl_cc|-m100000 -w20 -a -f -N fork_made|fork_hold.pml"
  "safety-exec-3threads-kill||$safety_cc|-m100000 -w20|exec.pml"
  "safety-exec-3threads|-DNO_KILL|$safety_cc|-m100000 -w20|exec.pml"
  "safety-exec-3threads-kill-signal|-DSIGNAL|$safety_cc|-m100000 -w20|exec.pml"
  "safety-exec-3threads-signal|-DSIGNAL -DNO_KILL|$safety_cc|-m100000 -w20|exec.pml"
  "safety-pipe-2readers-2writers||$safety_cc|-m100000 -w22|pipe.pml"
  "safety-pipe-2readers-2writers-kill|-DKILL|$safety_cc|-m100000 -w24|pipe.pml"
  "safety-pipe-2readers-2writers-reader_leaves|-DREADER_LEAVES|$safety_cc|-m100000 -w22|pipe.pml"
  "safety-pipe-poller+reader-2writers|-DPOLL -DNREADERS=1|$safety_cc|-m100000 -w22|pipe.pml"
  "safety-pipe-poller+reader-2writers-timer|-DPOLL -DPOLL_TIMER -DNREADERS=1|$safety_cc|-m100000 -w22|pipe.pml"
  "safety-signal-3signals||$safety_cc|-m10000 -w16|signal.pml"
  "safety-signal-3signals-waited|-DWAITED|$safety_cc|-m10000 -w16|signal.pml"
  "safety-alarm-4changes-end||$safety_cc|-m10000 -w20|alarm.pml"
  "safety-alarm-4changes|-DNO_END|$safety_cc|-m10000 -w20|alarm.pml"
  "safety-cputimer-2chargers-4changes||$safety_cc|-m10000 -w20|cputimer.pml"
)

run_one() {  # index name defines ccflags panflags model
  trap - EXIT
  local dir="$work/$1-$2"
  mkdir -p "$dir"
  cp "$here/$6" "$dir/$6"
  (
    cd "$dir" || exit 1
    # shellcheck disable=SC2086
    spin $3 ${extra[@]+"${extra[@]}"} -a "$6" >spin.out 2>&1 || { echo "spin -a failed" >>spin.out; exit 1; }
    # -O1: pan compiles in half the time of -O2 and runs as fast (the check: 121 -> 105 CPU-s)
    # shellcheck disable=SC2086
    "$cc" -O1 -w $4 -o pan pan.c >cc.out 2>&1 || { echo "pan compile failed" >>cc.out; exit 1; }
    # shellcheck disable=SC2086
    ./pan $5 >pan.out 2>&1
    exit 0
  ) >"$dir/status" 2>&1
  echo $? >>"$dir/status"
}

start=$(date +%s)
pids=()
for i in "${!runs[@]}"; do
  IFS='|' read -r name defines ccflags panflags pml <<<"${runs[$i]}"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 0.2; done
  run_one "$i" "$name" "$defines" "$ccflags" "$panflags" "${pml:-rpc.pml}" &
  pids+=($!)
done
wait

mode=""
[ "$full" -eq 1 ] && mode=" full"
[ ${#extra[@]} -gt 0 ] && mode="$mode (${extra[*]})"
echo "rpc.pml, inode_use.pml, shootdown.pml, copy.pml, stop.pml, wait.pml, fork_hold.pml, exec.pml, pipe.pml, signal.pml, alarm.pml, cputimer.pml$mode, spin $(spin -V 2>/dev/null | awk '{print $3}'):"
failed=0
for i in "${!runs[@]}"; do
  IFS='|' read -r name defines ccflags panflags pml <<<"${runs[$i]}"
  dir="$work/$i-$name"
  out="$dir/pan.out"
  verdict="FAIL"
  why=""
  if [ ! -s "$out" ]; then
    why="$(cat "$dir/spin.out" "$dir/cc.out" 2>/dev/null | grep -v '^ltl \|never claims\|only one claim\|choose which\|or use e.g' | head -3 | tr '\n' ' ')"
  else
    errors="$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$out" | tail -1)"
    stored="$(awk '/states, stored/ {print $1; exit}' "$out")"
    secs="$(sed -n 's/^pan: elapsed time \([0-9.e+]*\) seconds.*/\1/p' "$out" | tail -1)"
    mem="$(awk '/total actual memory usage/ {print $1; exit}' "$out")"
    incomplete=""
    grep -q "Search not completed" "$out" && incomplete="search not completed"
    grep -q "depth too small" "$out" && incomplete="search depth too small"
    grep -qi "memlim\|out of memory" "$out" && incomplete="memory bound reached"
    if [ "$errors" = "0" ] && [ -z "$incomplete" ]; then
      verdict="PASS"
    else
      why="$(grep -m1 '^pan:[0-9]' "$out")"
      [ -z "$why" ] && why="$incomplete"
      [ -z "$why" ] && why="no result (errors: ${errors:-?})"
    fi
    why="errors: ${errors:-?}, ${stored:-?} states, ${secs:-?} s, ${mem:-?} MB${why:+ -- $why}"
  fi
  [ "$verdict" = "PASS" ] || failed=1
  printf '%s %-42s %s\n' "$verdict" "$name" "$why"
done
echo "total $(( $(date +%s) - start )) s"
if [ "$keep" -eq 1 ]; then echo "work directory: $work"; fi
if [ "$failed" -ne 0 ]; then
  echo "FAILED: replay a counterexample with: check.sh --keep, then in the run's directory"
  echo "  spin -t -p <the run's -D flags> <its model>.pml    (see tests/model/README.md)"
fi
exit "$failed"
