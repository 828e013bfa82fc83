#!/bin/sh
# telnet.sh: examples/telnet against a real telnet server (inetutils
# telnetd run by socat on loopback, with tests/e2e/telnet-prog.sh in place
# of login) and against our own examples/echo-server.
. "$top_srcdir/tests/e2e/lib.sh"
need "$SOCAT"
TELNETD=$(command -v telnetd 2>/dev/null || echo /usr/sbin/telnetd)
[ -x "$TELNETD" ] || fail "telnetd is not installed (run ./bootstrap: inetutils-telnetd)"
TELNET="$top_builddir/examples/telnet"
# telnetd wants an absolute path to an executable (a tarball may not keep
# the mode bits): a copy of our own.
PROG="$WORK/telnet-prog.sh"
cp "$top_srcdir/tests/e2e/telnet-prog.sh" "$PROG" && chmod +x "$PROG" ||
    fail "cannot copy telnet-prog.sh"
[ -x "$TELNET" ] || fail "$TELNET is not built"

# Every client run is bounded: a hang is a failure, not a stuck `make check`.
client() { timeout 30 "$TELNET" "$@"; }

# no_iac FILE WHAT: no byte 0xFF (IAC) in FILE.
no_iac() {
    if LC_ALL=C grep -q "$(printf '\377')" "$1"; then
        fail "$2: a raw IAC byte reached stdout"
    fi
}

# listening PORT: a socket listens on 127.0.0.1:PORT (Linux /proc).
listening() {
    hex=$(printf '%04X' "$1")
    grep -q "^ *[0-9]*: 0100007F:$hex 00000000:0000 0A" /proc/net/tcp
}

# ---- against our echo-server ---------------------------------------------
start_server echo-server "$WORK/echo.log" "$top_builddir/examples/echo-server" 127.0.0.1:0
ECHO_PORT=$PORT

# Lines come back with telnet's CR LF line ends; stdin's end half-closes,
# the server closes after echoing the rest, and the client exits 0.
printf 'hello\nworld\n' >"$WORK/lines"
printf 'hello\r\nworld\r\n' >"$WORK/lines.expected"
client 127.0.0.1 "$ECHO_PORT" <"$WORK/lines" >"$WORK/lines.out" 2>"$WORK/lines.err" ||
    fail "echo: exit status $? ($(cat "$WORK/lines.err"))"
cmp -s "$WORK/lines.expected" "$WORK/lines.out" ||
    fail "echo: got $(od -c "$WORK/lines.out")"
grep -q '^Connected to 127\.0\.0\.1\.$' "$WORK/lines.err" ||
    fail "echo: no 'Connected to' line in: $(cat "$WORK/lines.err")"
pass "lines through echo-server, exit 0 after stdin ends (pipe)"

# The encoding both ways: 0xFF goes out as IAC IAC and comes back as one
# 0xFF; a lone CR goes out as CR NUL and comes back as a CR.
printf 'a\377b\rc\n\377\377\n' >"$WORK/bytes"
printf 'a\377b\rc\r\n\377\377\r\n' >"$WORK/bytes.expected"
printf 'a\377b\rc\n\377\377\n' |
    client 127.0.0.1 "$ECHO_PORT" >"$WORK/bytes.out" 2>"$WORK/bytes.err" ||
    fail "0xFF and CR: exit status $? ($(cat "$WORK/bytes.err"))"
cmp -s "$WORK/bytes.expected" "$WORK/bytes.out" ||
    fail "0xFF and CR: got $(od -c "$WORK/bytes.out")"
pass "0xFF escaped and unescaped, a lone CR kept"

# stdin a regular file, then /dev/null (the loop cannot poll either).
client 127.0.0.1 "$ECHO_PORT" <"$WORK/lines" >"$WORK/file.out" 2>"$WORK/file.err" ||
    fail "stdin from a file: exit status $? ($(cat "$WORK/file.err"))"
cmp -s "$WORK/lines.expected" "$WORK/file.out" ||
    fail "stdin from a file: got $(od -c "$WORK/file.out")"
client 127.0.0.1 "$ECHO_PORT" </dev/null >"$WORK/null.out" 2>"$WORK/null.err" ||
    fail "stdin from /dev/null: exit status $? ($(cat "$WORK/null.err"))"
[ -s "$WORK/null.out" ] && fail "stdin from /dev/null: output $(od -c "$WORK/null.out")"
pass "stdin from a regular file and from /dev/null"

# A host name, resolved (localhost may give ::1 first: the next address
# is tried).
client localhost "$ECHO_PORT" <"$WORK/lines" >"$WORK/name.out" 2>"$WORK/name.err" ||
    fail "localhost: exit status $? ($(cat "$WORK/name.err"))"
cmp -s "$WORK/lines.expected" "$WORK/name.out" || fail "localhost: reply differs"
grep -q '^Connected to localhost\.$' "$WORK/name.err" || fail "localhost: $(cat "$WORK/name.err")"
pass "host name resolved"

# 4 MiB of random bytes in a pipe: each comes back exactly once (LF as
# CR LF, CR NUL undone), so nothing is lost, doubled or reordered while
# the client holds back its input for the socket to drain.
head -c 4194304 /dev/urandom >"$WORK/random"
perl -pe 's/(?<!\r)\n/\r\n/g' <"$WORK/random" >"$WORK/random.expected"
cat "$WORK/random" |
    client 127.0.0.1 "$ECHO_PORT" >"$WORK/random.out" 2>"$WORK/random.err" ||
    fail "4 MiB: exit status $? ($(cat "$WORK/random.err"))"
cmp -s "$WORK/random.expected" "$WORK/random.out" ||
    fail "4 MiB: reply differs ($(wc -c <"$WORK/random.expected") bytes expected, $(wc -c <"$WORK/random.out") back)"
pass "4 MiB of random bytes round trip"

stop_server || fail "echo-server exited with status $rc"

# Refused: echo-server's port is closed now.
client 127.0.0.1 "$ECHO_PORT" </dev/null >"$WORK/refused.out" 2>"$WORK/refused.err"
rc=$?
[ $rc -eq 1 ] || fail "refused: exit status $rc, not 1"
grep -q 'Connection refused' "$WORK/refused.err" || fail "refused: $(cat "$WORK/refused.err")"
grep -q 'Connected to' "$WORK/refused.err" && fail "refused: $(cat "$WORK/refused.err")"
pass "connection refused: exit 1, $(cat "$WORK/refused.err")"

# A name that does not resolve.
client nonexistent.invalid 23 </dev/null >/dev/null 2>"$WORK/noname.err"
rc=$?
[ $rc -eq 1 ] || fail "unknown host: exit status $rc, not 1"
grep -q 'cannot connect to nonexistent.invalid port 23: host name not found' \
        "$WORK/noname.err" ||
    fail "unknown host: $(cat "$WORK/noname.err")"
pass "unknown host: exit 1"

# ---- against inetutils telnetd -------------------------------------------
# A free port: try ports until socat listens on one.
tries=0
while :; do
    tries=$((tries + 1))
    [ $tries -gt 20 ] && fail "socat could not listen: $(cat "$WORK/socat.log")"
    TD_PORT=$((20000 + ($$ * 7 + tries * 131) % 40000))
    "$SOCAT" "TCP-LISTEN:$TD_PORT,bind=127.0.0.1,reuseaddr,fork" \
        EXEC:"$TELNETD -h -E $PROG" 2>"$WORK/socat.log" &
    SERVER_PID=$!
    i=0
    while ! listening "$TD_PORT" && kill -0 "$SERVER_PID" 2>/dev/null &&
          [ $i -lt 100 ]; do
        i=$((i + 1))
        sleep 0.05
    done
    listening "$TD_PORT" && break
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
done

# A session: the client answers telnetd's negotiation, reaches the
# program, sends lines as they are typed (after each prompt), shows the
# replies, and exits 0 when the program ends, stdin still open.
rm -f "$WORK/fifo"
mkfifo "$WORK/fifo"
client 127.0.0.1 "$TD_PORT" <"$WORK/fifo" >"$WORK/td.out" 2>"$WORK/td.err" &
tc=$!
exec 3>"$WORK/fifo"
wait_for "$WORK/td.out" 'prog> ' "telnetd session"
printf 'hello telnet\n' >&3
wait_for "$WORK/td.out" 'REPLY: HELLO TELNET' "telnetd session"
printf 'second line\n' >&3
wait_for "$WORK/td.out" 'REPLY: SECOND LINE' "telnetd session"
printf 'quit\n' >&3
wait "$tc"
rc=$?
exec 3>&-
[ $rc -eq 0 ] || fail "telnetd session: exit status $rc ($(cat "$WORK/td.err"))"
grep -q '^bye' "$WORK/td.out" || fail "telnetd session: no bye in $(cat -v "$WORK/td.out")"
grep -q '^Connected to 127\.0\.0\.1\.$' "$WORK/td.err" ||
    fail "telnetd session: $(cat "$WORK/td.err")"
no_iac "$WORK/td.out" "telnetd session"
pass "telnetd session: negotiation, lines, replies, exit 0 when the program ends"

# All input at once, then stdin ends: the client half-closes after
# sending it and shows what the server sent until it closed.  (telnetd
# ends the session as soon as it reads the end of the stream, so how far
# the program got is not ours to check; that it started is.)  The input
# goes once the program is there: before, telnetd could end the session
# before starting it, however long a fixed pause.
{ wait_for "$WORK/td2.out" 'telnet-prog ready' "telnetd, piped input"
  printf 'one\ntwo\nquit\n'; } |
    client 127.0.0.1 "$TD_PORT" >"$WORK/td2.out" 2>"$WORK/td2.err" ||
    fail "telnetd, piped input: exit status $? ($(cat "$WORK/td2.err"))"
no_iac "$WORK/td2.out" "telnetd, piped input"
grep -q 'telnet-prog ready' "$WORK/td2.out" ||
    fail "telnetd, piped input: $(cat -v "$WORK/td2.out")"
pass "telnetd, piped input: exit 0"

# On a terminal (script(1) gives it a pty): telnetd echoes, so the client
# turns local echo and line editing off while connected, each typed line
# shows once (the server's echo), and the terminal is put back after.
need script
rm -f "$WORK/fifo"
mkfifo "$WORK/fifo"
script -q -c "stty -a; $TELNET 127.0.0.1 $TD_PORT; echo \"rc=\$?\"; stty -a" /dev/null \
    <"$WORK/fifo" >"$WORK/tty.out" 2>&1 &
sc=$!
exec 3>"$WORK/fifo"
wait_for "$WORK/tty.out" 'prog> ' "on a terminal"
printf 'typed once\r' >&3
wait_for "$WORK/tty.out" 'REPLY: TYPED ONCE' "on a terminal"
printf 'quit\r' >&3
wait_for "$WORK/tty.out" 'rc=' "on a terminal"
exec 3>&-
wait "$sc"
grep -q 'rc=0' "$WORK/tty.out" || fail "on a terminal: $(cat -v "$WORK/tty.out")"
n=$(grep -c 'typed once' "$WORK/tty.out")
[ "$n" -eq 1 ] || fail "on a terminal: the line shows $n times: $(cat -v "$WORK/tty.out")"
modes=$(grep -o -- ' -*icanon \| -*echo ' "$WORK/tty.out" | tr -d ' \n')
[ "$modes" = "icanonechoicanonecho" ] ||
    fail "on a terminal: modes before and after: $modes"
pass "on a terminal: typed lines show once, the terminal is restored"

kill "$SERVER_PID" 2>/dev/null
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
