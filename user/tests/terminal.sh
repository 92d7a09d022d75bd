#!/usr/bin/env bash
# The standard streams on a terminal, each program on a pseudo-terminal made by script(1)
# (util-linux): `abi terminal` must print the same bytes under qemu-riscv32 and under mkh exec
# (what TCGETS and TIOCGWINSZ answer on each stream); then `make run`'s session, /bin/sh -l
# under mkh exec: it runs /etc/profile (the motd) first, then reads commands from the
# terminal, prompts and prints each command's output as it runs (its stdout buffered by
# lines, as on a terminal), and exits with the status `exit` gave it. Last, the terminal's
# interrupt (SIGINT to mkh exec, as Ctrl-C sends it): a program ends by it (130), an
# interactive shell lives on while the command it ran ends, and at its prompt shows it again;
# and its suspend (SIGTSTP, Ctrl-Z): mkh stopped on the host without job control, a job
# stopped with the shell's. Then the shell's line editing, key by key. Between, /dev/tty.
# Usage: terminal.sh MKH DISK_IMAGE ABI_PROGRAM
set -uo pipefail
mkh=$1 image=$2 abi=$3
command -v script >/dev/null || { echo "SKIP: script (util-linux) is not installed"; exit 77; }
if ! command -v qemu-riscv32 >/dev/null; then
  echo "SKIP: qemu-riscv32 is not installed (make deps installs qemu-user)"
  exit 77
fi
[ -e "$image" ] && [ -e "$abi" ] || { echo "SKIP: $image or $abi is not built"; exit 77; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/mkh-terminal.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
on_terminal() { script -qec "$1" /dev/null </dev/null | tr -d '\r'; }
# The session's helpers; to_session SIGNAL: the signal to the session's mkh exec, as its
# terminal sends it.
# has_line FILE PATTERN: the transcript has a line PATTERN (grep's, whole line), its
# carriage returns dropped; wait_for_line waits for one, 20 s at most.
has_line() { tr -d '\r' <"$1" | grep -qx "$2"; }
wait_for_line() { for _ in $(seq 200); do has_line "$1" "$2" && break; sleep 0.1; done; }
to_session() { pkill -"$1" -x -f "$mkh exec --disk $disk /bin/sh"; }
# A program that runs 30 s ends by the interrupt (SIGINT, Ctrl-C) and by the quit (SIGQUIT,
# Ctrl-\): once mkh exec blocks the signal (before that, it would end mkh itself), the signal
# until the program has ended (one sent before the program's process exists reaches no one),
# at most 20 s. ends_by NAME NUMBER: the program's status must be 128 + NUMBER.
# wait_blocked PID NUMBER: until the host process PID blocks signal NUMBER (10 s at most).
wait_blocked() {
  for _ in $(seq 200); do
    blocked=$(awk '/^SigBlk:/ {print $2}' "/proc/$1/status" 2>/dev/null) || break
    [ -n "$blocked" ] && (((0x$blocked >> ($2 - 1)) & 1)) && break
    sleep 0.05
  done
}
ends_by() {
  local name=$1 number=$2 pid ended
  "$mkh" exec --disk "$disk" /bin/sleep 30 2>"$scratch/$name.txt" &
  pid=$!
  wait_blocked "$pid" "$number"
  for _ in $(seq 40); do kill -"$name" "$pid" 2>/dev/null || break; sleep 0.5; done
  wait "$pid"
  ended=$?
  if [ "$ended" = $((128 + number)) ] && grep -q "killed by signal $number" "$scratch/$name.txt"; then
    echo "sleep 30 ended by SIG$name, status $ended"
  else
    echo "FAIL: sleep 30 sent SIG$name exited $ended (expected $((128 + number))):"; cat "$scratch/$name.txt"; status=1
  fi
}
# background_stop COMMAND WHAT: COMMAND run in the background of an interactive shell stops
# (SIGTTIN to a read of the terminal, SIGTTOU to a change of its modes) instead of taking the
# shell's lines or its terminal: `jobs` says it is Stopped, it ends when killed, and the shell
# reads its lines as before.
background_stop() {
  local transcript=$scratch/sh-stop-$1.txt
  {
    printf 'echo ready; %s &\n' "$1"
    wait_for_line "$transcript" 'ready'
    sleep 1
    printf 'jobs\nkill -KILL -- -$!\nwait\necho "read by the shell"\nexit 5\n'
  } | timeout 120 script -qec "$mkh exec --disk $disk /bin/sh" /dev/null >"$transcript"
  local ended=${PIPESTATUS[1]}
  if [ "$ended" = 5 ] && has_line "$transcript" ".*Stopped  *$1" && has_line "$transcript" 'read by the shell'; then
    echo "$2: the job stopped, the shell read its lines"
  else
    echo "FAIL: $2: exit $ended (expected 5), or no Stopped $1:"
    tr -d '\r' <"$transcript"; status=1
  fi
}
# type KEYS LINE: once the shell prompts in $typed, KEYS; then until LINE is printed (20 s at most).
type() {
  for _ in $(seq 200); do tr -d '\r' <"$typed" | tail -c 2 | grep -q '^\$ $' && break; sleep 0.1; done
  sleep 0.3
  printf "$1"
  [ -n "${2:-}" ] && wait_for_line "$typed" "$2"
}
# The checks run in three groups at once (they wait on terminals more than they compute), each
# group on its own copy of the disk, so that to_session reaches its own sessions alone; their
# reports are printed in order. group N FUNCTION...: the functions in turn, in the background.
group() {
  local n=$1
  shift
  (
    disk=$scratch/disk-$n.img status=0
    cp "$image" "$disk"
    for check; do "$check"; done
    exit "$status"
  ) >"$scratch/group-$n.txt" 2>&1 &
  groups+=($!)
}
streams_and_signals() {
  on_terminal "env -i qemu-riscv32 $abi terminal" >"$scratch/qemu.txt"
  on_terminal "$mkh exec --disk $disk /tests/abi terminal" >"$scratch/mkh.txt"
  if ! grep -q '^fd 1: TCGETS 0:' "$scratch/qemu.txt"; then
    echo "FAIL: qemu-riscv32 saw no terminal on stdout:"; cat "$scratch/qemu.txt"; status=1
  elif diff -u "$scratch/qemu.txt" "$scratch/mkh.txt"; then
    echo "abi terminal: the same bytes under mkh exec as under qemu-riscv32"
  else
    echo "FAIL: abi terminal differs (above: - qemu-riscv32, + mkh exec)"; status=1
  fi
  # /dev/tty is the terminal whatever the standard streams are (files here): a line written to
  # it, one read from it, the same lines under qemu-riscv32 and mkh exec (sorted: the terminal
  # echoes the typed line whenever it comes).
  tty_script='echo "to the terminal" >/dev/tty; read line </dev/tty; echo "read [$line]" >/dev/tty; [ -t 0 ] || echo "stdin is no terminal" >/dev/tty'
  for side in qemu mkh; do
    if [ $side = qemu ]; then run="env -i qemu-riscv32 $(dirname "$abi")/../bin/sh"; else run="$mkh exec --disk $disk /bin/sh"; fi
    printf 'typed\n' | timeout 60 script -qec "$run -c '$tty_script' </dev/null >/dev/null" /dev/null | tr -d '\r' | sort >"$scratch/tty-$side.txt"
  done
  if grep -qx 'read \[typed\]' "$scratch/tty-qemu.txt" && diff -u "$scratch/tty-qemu.txt" "$scratch/tty-mkh.txt"; then
    echo "/dev/tty: written and read with the standard streams elsewhere, as under qemu-riscv32"
  else
    echo "FAIL: /dev/tty (above: - qemu-riscv32, + mkh exec):"; cat "$scratch/tty-qemu.txt"; status=1
  fi
  # The session `make run` starts: a login shell, which runs /etc/profile (the motd) first.
  printf 'echo hi; cd /etc\npwd\nexit 3\n' |
    timeout 120 script -qec "$mkh exec --disk $disk /bin/sh -l" /dev/null | tr -d '\r' >"$scratch/sh.txt"
  shell_status=${PIPESTATUS[1]}
  motd=$(head -n 1 "$(dirname "$0")/../../disk/etc/motd")
  if [ "$shell_status" = 3 ] && grep -qxF "$motd" "$scratch/sh.txt" && grep -qx '\$ echo hi; cd /etc' "$scratch/sh.txt" &&
    grep -qx 'hi' "$scratch/sh.txt" && grep -qx '/etc' "$scratch/sh.txt"; then
    echo "sh -l on a terminal: the motd, prompts, line-buffered output, exit 3"
  else
    echo "FAIL: sh -l on a terminal exited $shell_status (expected 3) or lacks the motd, the line edited, 'hi' or '/etc':"
    cat "$scratch/sh.txt"; status=1
  fi
  ends_by INT 2
  ends_by QUIT 3
  # The suspend (SIGTSTP, Ctrl-Z) while no process of the machine does job control stops mkh
  # itself on the host, as the host's shell stops a program; SIGCONT continues it.
  "$mkh" exec --disk "$disk" /bin/sleep 2 &
  pid=$!
  wait_blocked "$pid" 20
  state=
  for _ in $(seq 40); do
    kill -TSTP "$pid" 2>/dev/null || break
    sleep 0.5
    state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
    [ "$state" = T ] && break
  done
  kill -CONT "$pid" 2>/dev/null
  wait "$pid"
  suspended=$?
  if [ "$state" = T ] && [ "$suspended" = 0 ]; then
    echo "the suspend without job control: mkh stopped on the host, continued, status 0"
  else
    echo "FAIL: the suspend without job control: state '$state' (expected T), exit $suspended (expected 0)"; status=1
  fi
  # mkh exec in the background of a host shell with job control, on a terminal: it ends, and
  # is not stopped by SIGTTOU at its end (its terminal modes are put back only when changed).
  said=$(timeout 30 script -qec "bash -c 'set -m; $mkh exec --disk $disk /bin/true & wait \$!; echo status \$?; kill -KILL %1 2>/dev/null'" /dev/null </dev/null | tr -d '\r')
  if grep -qx 'status 0' <<<"$said"; then
    echo "mkh exec in a host shell's background: it ended, status 0"
  else
    echo "FAIL: mkh exec in a host shell's background: $said"; status=1
  fi
  # top on a terminal: each screen replaces the last (a refresh every 0.2 s: its wait for a key
  # is a ppoll of the terminal with a timeout); q, read as typed (raw mode), ends it, status 0.
  mkfifo "$scratch/top-keys"
  timeout 60 script -qec "$mkh exec --disk $disk /bin/top -d 0.2" /dev/null <"$scratch/top-keys" \
    >"$scratch/top.txt" &
  session=$!
  {
    for _ in $(seq 200); do [ "$(grep -c 'top - ' "$scratch/top.txt")" -ge 3 ] && break; sleep 0.1; done
    printf q
  } >"$scratch/top-keys"
  wait "$session"
  top_status=$?
  screens=$(grep -c 'top - ' "$scratch/top.txt")
  if [ "$top_status" = 0 ] && [ "$screens" -ge 3 ] && grep -q $'^\033\[H\033\[2Jtop - ' "$scratch/top.txt"; then
    echo "top on a terminal: screens every 0.2 s, each replacing the last; q ended it, status 0"
  else
    echo "FAIL: top on a terminal: exit $top_status (expected 0), $screens screens (expected 3 or more):"
    cat -v "$scratch/top.txt"; status=1
  fi
  # more on a terminal of 10 rows, paging a pipe: 9 lines and its prompt; space, 9 more; Return,
  # one more; q ends it (status 0), each key typed once the prompt before it is there.
  mkfifo "$scratch/more-keys"
  timeout 60 script -qec "stty rows 10 cols 40; $mkh exec --disk $disk /bin/sh -c 'seq 100 | more; echo more \$?'" \
    /dev/null <"$scratch/more-keys" >"$scratch/more.txt" &
  session=$!
  {
    prompts=0
    for keys in ' ' '\r' q; do
      prompts=$((prompts + 1))
      for _ in $(seq 200); do [ "$(grep -o -- '--More--' "$scratch/more.txt" | wc -l)" -ge $prompts ] && break; sleep 0.1; done
      printf "$keys"
    done
  } >"$scratch/more-keys"
  wait "$session"
  # The prompt is erased by a carriage return and a clear to the line's end: a line break here.
  shown=$(sed 's/\r\x1b\[K/\n/g' "$scratch/more.txt" | tr -d '\r' | sed 's/\x1b\[[0-9]*m//g')
  if grep -qx 'more 0' <<<"$shown" && [ "$(grep -cx -- '--More--' <<<"$shown")" = 3 ] && grep -qx 19 <<<"$shown" &&
    ! grep -qx 20 <<<"$shown"; then
    echo "more on a terminal: a screen, a screen more, a line more, q; status 0"
  else
    echo "FAIL: more on a terminal:"; cat -v "$scratch/more.txt"; status=1
  fi
}
# A shell on a terminal reading the lines of $2 (printf's escapes), its transcript in
# $scratch/$1.txt as it comes (carriage returns left in), in the background as $session;
# returns a second after the shell said 'started' (the command after it has begun).
start_session() {
  printf '%b' "$2" | timeout 120 script -qec "$mkh exec --disk $disk /bin/sh" /dev/null >"$scratch/$1.txt" &
  session=$!
  wait_for_line "$scratch/$1.txt" 'started'
  sleep 1
}
signals_in_sessions() {
  # On a terminal: once the shell has said it starts `sleep 30`, one SIGINT to mkh exec; the
  # shell lives on, the sleep ends by it (130) and the shell reads its next line.
  start_session sh-int 'echo started; sleep 30\necho "after $?"\nexit 3\n'
  to_session INT
  wait "$session"
  if has_line "$scratch/sh-int.txt" 'after 130'; then
    echo "the interrupt on a terminal: the command ended (130), the shell went on"
  else
    echo "FAIL: the interrupt on a terminal: no 'after 130':"; tr -d '\r' <"$scratch/sh-int.txt"; status=1
  fi
  # At the prompt: a SIGINT to mkh exec shows the prompt again (the terminal dropped the line
  # being typed), and the shell reads on.
  mkfifo "$scratch/in"
  timeout 120 script -qec "$mkh exec --disk $disk /bin/sh" /dev/null <"$scratch/in" >"$scratch/sh-prompt.txt" &
  session=$!
  prompts() { tr -d '\r' <"$scratch/sh-prompt.txt" | grep -o '\$ ' | wc -l; }
  {
    for _ in $(seq 200); do [ "$(prompts)" -ge 1 ] && break; sleep 0.1; done
    sleep 1
    to_session INT
    for _ in $(seq 200); do [ "$(prompts)" -ge 2 ] && break; sleep 0.1; done
    printf 'exit 4\n'
  } >"$scratch/in"
  wait "$session"
  prompt_status=$?
  if [ "$prompt_status" = 4 ] && [ "$(prompts)" -ge 2 ]; then
    echo "the interrupt at the prompt: the prompt again, the shell went on"
  else
    echo "FAIL: the interrupt at the prompt: exit $prompt_status (expected 4), $(prompts) prompts (expected 2):"
    tr -d '\r' <"$scratch/sh-prompt.txt"; status=1
  fi
  # Job control on a terminal: once the shell has said it starts `sleep 30`, the terminal's
  # suspend (SIGTSTP to mkh exec, as Ctrl-Z sends it) stops the sleep alone; the shell says so,
  # `jobs` lists it, `fg` continues it, and the interrupt then ends it (130).
  start_session sh-jobs 'echo started; sleep 30\njobs\nfg\necho "after $?"\nexit 3\n'
  to_session TSTP
  wait_for_line "$scratch/sh-jobs.txt" 'sleep 30'
  sleep 1
  to_session INT
  wait "$session"
  jobs_status=$?
  stopped=$(tr -d '\r' <"$scratch/sh-jobs.txt" | grep -c 'Stopped  *sleep 30$')
  if [ "$jobs_status" = 3 ] && [ "$stopped" = 2 ] && has_line "$scratch/sh-jobs.txt" 'after 130'; then
    echo "the suspend on a terminal: the command stopped, jobs listed it, fg went on, the interrupt ended it"
  else
    echo "FAIL: the suspend on a terminal: exit $jobs_status (expected 3), $stopped 'Stopped' lines (expected 2):"
    tr -d '\r' <"$scratch/sh-jobs.txt"; status=1
  fi
  # At the prompt, with a job in the background: the suspend and the interrupt reach the
  # shell's own group (an orphaned one: the suspend is dropped, the interrupt shows the prompt
  # again), not the job, which a kill to its group ends.
  {
    printf 'echo ready; sleep 30 &\n'
    wait_for_line "$scratch/sh-bg.txt" 'ready'
    sleep 1
    to_session TSTP
    sleep 0.5
    to_session INT
    sleep 0.5
    printf 'jobs\nkill -- -$!\nwait\nexit 4\n'
  } | timeout 120 script -qec "$mkh exec --disk $disk /bin/sh" /dev/null >"$scratch/sh-bg.txt"
  bg_status=${PIPESTATUS[1]}
  if [ "$bg_status" = 4 ] && has_line "$scratch/sh-bg.txt" '.*Running  *sleep 30 &' &&
    has_line "$scratch/sh-bg.txt" '.*Terminated  *sleep 30'; then
    echo "the suspend and the interrupt at the prompt: the background job ran on until killed"
  else
    echo "FAIL: the suspend and the interrupt at the prompt: exit $bg_status (expected 4), or no Running and Terminated job:"
    tr -d '\r' <"$scratch/sh-bg.txt"; status=1
  fi
}
background_jobs_and_line_editing() {
  background_stop cat "a background read of the terminal"
  background_stop top "a background change of the terminal's modes"
  # Line editing at the prompt: each line typed once the shell reads (raw mode, its keys its
  # own): the history's Up, Backspace, Left, Ctrl-U, Ctrl-A, Tab (a command, a file name, the
  # list of the matches), the history builtin, a PS1 of the working directory, and Ctrl-D on an
  # empty line to end the session.
  mkfifo "$scratch/keys"
  typed=$scratch/sh-edit.txt
  timeout 120 script -qec "$mkh exec --disk $disk /bin/sh" /dev/null <"$scratch/keys" >"$typed" &
  session=$!
  {
    type 'echo one\r' one
    type '\033[As\r' ones
    type 'echo twX\177o\r' two
    type 'echo ee\033[Dx\r' exe
    type 'garbage\025echo four\r' four
    type 'cho five\001e\r' five
    type 'ech\t/etc/hostn\t\r' /etc/hostname
    type 'echo /bin/s\t\tlee\t\r' /bin/sleep
    type 'PS1=\047mkh:$PWD$ \047; cd /etc\r'
    type 'echo six\r' six
    type 'history\r' '   11  history'
    type '\004'
  } >"$scratch/keys"
  wait "$session"
  edit_status=$?
  edited=$(tr -d '\r' <"$scratch/sh-edit.txt" | grep -cxE 'one|ones|two|exe|four|five|/etc/hostname|/bin/sleep|mkh:/etc\$ echo six|    4  echo exe')
  listed=$(tr -d '\r' <"$scratch/sh-edit.txt" | grep -cE '(^|  )sleep  (.*  )?sh(  |$)|(^|  )sh  (.*  )?sleep(  |$)')
  if [ "$edit_status" = 0 ] && [ "$edited" = 10 ] && [ "$listed" = 1 ]; then
    echo "line editing: history, Backspace, Left, Ctrl-U, Ctrl-A, Tab, the history builtin, PS1, Ctrl-D"
  else
    echo "FAIL: line editing: exit $edit_status (expected 0), $edited of 10 lines, $listed list of matches (expected 1):"
    cat -v "$scratch/sh-edit.txt"; status=1
  fi
  # Lines wider than the terminal (20 columns): typed to the end, edited on their first row,
  # shrunk from two rows to one by the history. What the terminal shows, drawn by screen.py, is
  # each line wrapped once, with nothing left of what was drawn before.
  typed=$scratch/sh-wrap.txt
  timeout 120 script -qec "stty cols 20 rows 30; $mkh exec --disk $disk /bin/sh" /dev/null \
    <"$scratch/keys" >"$typed" &
  session=$!
  {
    type 'echo 0123456789abcdefghijklmnop\r' 0123456789abcdefghijklmnop
    type 'echo abcdefghijklmnopqrstuvwxyz\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[D--\005!\r' \
      'abcdef--ghijklmnopqrstuvwxyz!'
    type 'echo short\r' short
    type 'echo end\033[A\033[A\033[B\033[B\r' end
    type '\004'
  } >"$scratch/keys"
  wait "$session"
  wrap_status=$?
  expected='$ echo 0123456789abc
defghijklmnop
0123456789abcdefghij
klmnop
$ echo abcdef--ghijk
lmnopqrstuvwxyz!
abcdef--ghijklmnopqr
stuvwxyz!
$ echo short
short
$ echo end
end
$'
  shown=$(python3 "$(dirname "$0")/screen.py" 20 30 "$typed" 2>&1)
  if [ "$wrap_status" = 0 ] && [ "$shown" = "$expected" ]; then
    echo "line editing on a terminal of 20 columns: each line wrapped once, as typed and edited"
  else
    echo "FAIL: line editing on a terminal of 20 columns: exit $wrap_status (expected 0), the screen:"
    echo "$shown"; echo "expected:"; echo "$expected"; cat -v "$typed"; status=1
  fi
}
groups=()
group 1 streams_and_signals
group 2 signals_in_sessions
group 3 background_jobs_and_line_editing
status=0
for n in 1 2 3; do
  wait "${groups[n - 1]}" || status=1
  cat "$scratch/group-$n.txt"
done
exit "$status"
