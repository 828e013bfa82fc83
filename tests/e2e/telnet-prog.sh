#!/bin/sh
# telnet-prog.sh: the program telnetd runs for tests/e2e/telnet.sh in
# place of login.  It prints a prompt, answers each line in upper case,
# and exits on "quit" (or at the end of its input).
echo "telnet-prog ready"
while printf 'prog> ' && IFS= read -r line; do
    line=$(printf '%s' "$line" | tr -d '\r')
    case $line in
    # telnetd drops pty output still unread when the program exits:
    # give it a moment to forward the last line.
    quit) echo "bye"; sleep 1; exit 0 ;;
    esac
    printf 'reply: %s\n' "$line" | tr '[:lower:]' '[:upper:]'
done
