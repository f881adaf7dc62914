#!/bin/sh
# A device that only knows the classic heartbeat protocol: send its name and a newline to an
# agent started with --heartbeat-listen, once a second, over UDP or TCP.
#
#   lifeline agent --heartbeat-listen 0.0.0.0:7950 ...
#   ./heartbeat-device.sh boiler-7 10.0.0.5 7950
#
# Then `lifeline members --heartbeats` on any agent of the cluster lists boiler-7 with its phi;
# when the loop stops, boiler-7 goes down within about mean interval + 3 s (the acceptable
# pause) + a few σ, and heartbeat-down handlers run on every agent.
NAME="${1:?usage: heartbeat-device.sh NAME HOST PORT [udp|tcp]}"
HOST="${2:?host}"
PORT="${3:?port}"
PROTO="${4:-udp}"
while true; do
  if [ "$PROTO" = "udp" ]; then
    printf '%s\n' "$NAME" | nc -u -w0 "$HOST" "$PORT"    # or, in bash: echo "$NAME" > /dev/udp/$HOST/$PORT
  else
    printf '%s\n' "$NAME" | nc -w1 "$HOST" "$PORT"       # or, in bash: echo "$NAME" > /dev/tcp/$HOST/$PORT
  fi
  sleep 1
done
