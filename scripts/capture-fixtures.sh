#!/usr/bin/env bash
# Captures real memberlist bytes from Debian's serf agent for test/fixtures/serf/.
#
# Runs three serf agents on loopback (127.0.77.1-3, ports 47946-47948, RPC 47373-47375), records
# everything on those ports with tcpdump on `lo`, then converts the pcap into JSON fixtures with
# scripts/capture-fixtures-extract.mjs. Scenario timeline (about 30 s each):
#   s1 starts; s2 joins s1 (push-pull stream); s3 joins s1; a user event from s1 (serf user
#   messages in compounds); s3 is frozen with SIGSTOP for 3 s (suspect, TCP fallback pings, then
#   its refutation: alive with incarnation 2); s3 is killed with SIGKILL (suspect, then dead); s2 leaves gracefully
#   (dead with From == Node); s1 stops.
# Scenarios: `compressed` (serf defaults), `uncompressed` (-disable-compression), `encrypted`
# (-encrypt with the fixed key below; serf's default compression stays on), `ipv6` (two agents
# on [::1], see run_ipv6), `bigstate` and `serf-layer` (serf's own messages, see run_serf_layer).
#
# Usage: sudo scripts/capture-fixtures.sh [scenario...]   (needs serf and tcpdump installed)
# Every process it starts is stopped by PID on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/test/fixtures/serf
WORK=$(mktemp -d /tmp/serf-capture.XXXXXX)
# A fixed test key (32 bytes, standard base64). Never use it for anything real.
KEY="KbLAEHxSxvrwf9Gx5kVRakFyITTZ1qHaTgNQh7Ms1aA="
# The key the serf-layer scenario rotates to (also test-only).
KEY2="3Hu2yI0sIv0yPbBo2b8CRyMDTzi0jv1Qu5pIjwz8n0o="
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

start_agent() { # name ip port rpcport extra-args...
  local name=$1 ip=$2 port=$3 rpc=$4
  shift 4
  serf agent -node="$name" -bind="$ip:$port" -rpc-addr="127.0.0.1:$rpc" -log-level=debug "$@" \
    >"$WORK/$SCENARIO-$name.log" 2>&1 &
  PIDS+=($!)
  echo $!
}

run_scenario() {
  SCENARIO=$1
  local extra=()
  case $SCENARIO in
    compressed) extra=() ;;
    uncompressed) extra=(-disable-compression) ;;
    encrypted) extra=(-encrypt="$KEY") ;;
    *) echo "unknown scenario $SCENARIO" >&2; exit 2 ;;
  esac
  local pcap=$WORK/$SCENARIO.pcap
  tcpdump -i lo -U -s 0 -w "$pcap" 'port 47946 or port 47947 or port 47948' >"$WORK/$SCENARIO-tcpdump.log" 2>&1 &
  local dump=$!
  PIDS+=("$dump")
  sleep 1.5
  local s1 s2 s3
  s1=$(start_agent s1 127.0.77.1 47946 47373 "${extra[@]}" -tag role=seed -tag dc=lab)
  sleep 1.5
  s2=$(start_agent s2 127.0.77.2 47947 47374 "${extra[@]}" -tag role=web -join=127.0.77.1:47946)
  sleep 1.5
  s3=$(start_agent s3 127.0.77.3 47948 47375 "${extra[@]}" -join=127.0.77.1:47946)
  sleep 5
  serf event -rpc-addr=127.0.0.1:47373 deploy "v1.2.3" >/dev/null
  sleep 3
  # Freeze s3 long enough to be suspected (and to receive TCP fallback pings it cannot answer),
  # then let it refute with a higher incarnation before the 4 s suspicion timeout ends.
  kill -STOP "$s3"
  sleep 3
  kill -CONT "$s3"
  sleep 4
  kill -9 "$s3"
  sleep 12
  serf leave -rpc-addr=127.0.0.1:47374 >/dev/null || true
  sleep 4
  serf members -rpc-addr=127.0.0.1:47373 >"$WORK/$SCENARIO-members.txt" || true
  kill -INT "$s1" "$s2" 2>/dev/null || true
  sleep 2
  kill -9 "$s1" "$s2" 2>/dev/null || true
  kill -INT "$dump"
  wait "$dump" 2>/dev/null || true
  node "$ROOT/scripts/capture-fixtures-extract.mjs" "$pcap" "$OUT/$SCENARIO.json" "$SCENARIO" "$(serf version | head -1)" \
    "$(dpkg-query -W -f='${Version}' serf 2>/dev/null || echo unknown)"
  cp "$WORK/$SCENARIO-s1.log" "$OUT/$SCENARIO-s1.log"
}

# Two agents on IPv6 loopback (16-byte addresses on the wire), uncompressed so the bytes are
# readable: s1 starts, s2 joins, pings flow for 4 s, s2 leaves, s1 stops.
run_ipv6() {
  SCENARIO=ipv6
  local pcap=$WORK/ipv6.pcap
  tcpdump -i lo -U -s 0 -w "$pcap" 'port 47956 or port 47957' >"$WORK/ipv6-tcpdump.log" 2>&1 &
  local dump=$!
  PIDS+=("$dump")
  sleep 1.5
  local s1 s2
  s1=$(start_agent s1 "[::1]" 47956 47376 -disable-compression -tag role=seed)
  sleep 1.5
  s2=$(start_agent s2 "[::1]" 47957 47377 -disable-compression -join="[::1]:47956")
  sleep 5
  serf leave -rpc-addr=127.0.0.1:47377 >/dev/null || true
  sleep 2
  kill -INT "$s1" 2>/dev/null || true
  sleep 2
  kill -9 "$s1" "$s2" 2>/dev/null || true
  kill -INT "$dump"
  wait "$dump" 2>/dev/null || true
  node "$ROOT/scripts/capture-fixtures-extract.mjs" "$pcap" "$OUT/ipv6.json" ipv6 "$(serf version | head -1)" \
    "$(dpkg-query -W -f='${Version}' serf 2>/dev/null || echo unknown)" '{"[::1]:47956":"s1","[::1]:47957":"s2"}'
}

# A large compressed push/pull: s1 (serf defaults) records 120 user events with ~200-byte
# pseudo-random payloads, then s2 joins; s1's push/pull reply carries them all in serf's user state,
# so Go's LZW output runs through every code width and several dictionary resets (4095 codes).
run_bigstate() {
  SCENARIO=bigstate
  local pcap=$WORK/bigstate.pcap
  tcpdump -i lo -U -s 0 -w "$pcap" 'tcp and (port 47966 or port 47967)' >"$WORK/bigstate-tcpdump.log" 2>&1 &
  local dump=$!
  PIDS+=("$dump")
  sleep 1.5
  local s1 s2
  s1=$(start_agent s1 127.0.77.6 47966 47378)
  sleep 1.5
  for i in $(seq 1 120); do
    serf event -rpc-addr=127.0.0.1:47378 "ev$i" "$(head -c 150 /dev/urandom | base64 -w0)" >/dev/null
  done
  s2=$(start_agent s2 127.0.77.7 47967 47379 -join=127.0.77.6:47966)
  sleep 3
  kill -9 "$s1" "$s2" 2>/dev/null || true
  kill -INT "$dump"
  wait "$dump" 2>/dev/null || true
  node "$ROOT/scripts/capture-fixtures-extract.mjs" "$pcap" "$OUT/bigstate.json" bigstate "$(serf version | head -1)" \
    "$(dpkg-query -W -f='${Version}' serf 2>/dev/null || echo unknown)" '{"127.0.77.6:47966":"s1","127.0.77.7:47967":"s2"}'
}

# Serf's own layer (serf/messages.go) in one capture: three encrypted, uncompressed agents with
# query handlers; user events (coalesced and not), queries with node and tag filters, without
# acks and with relays, the key rotation queries (install, use, list, remove: traffic moves from
# KEY to KEY2), a fourth agent started with s3's name (the _serf_conflict vote, after which it
# exits), and s2's graceful leave (leave intent). Joins carry serf's push/pull user state.
run_serf_layer() {
  SCENARIO=serf-layer
  local pcap=$WORK/serf-layer.pcap
  local ports='port 47986 or port 47987 or port 47988 or port 47989'
  tcpdump -i lo -U -s 0 -w "$pcap" "$ports" >"$WORK/serf-layer-tcpdump.log" 2>&1 &
  local dump=$!
  PIDS+=("$dump")
  sleep 1.5
  local flags=(-encrypt="$KEY" -disable-compression)
  local s1 s2 s3 s4
  s1=$(start_agent s1 127.0.77.11 47986 47386 "${flags[@]}" -event-handler 'query:uptime=echo up-s1')
  sleep 1
  s2=$(start_agent s2 127.0.77.12 47987 47387 "${flags[@]}" -tag role=web -join=127.0.77.11:47986 \
    -event-handler 'query:uptime=echo up-s2')
  sleep 1
  s3=$(start_agent s3 127.0.77.13 47988 47388 "${flags[@]}" -join=127.0.77.11:47986 \
    -event-handler 'query:uptime=echo up-s3')
  sleep 4
  local rpc=-rpc-addr=127.0.0.1:47386
  serf event $rpc deploy v1 >/dev/null
  serf event $rpc -coalesce=false restart "now please" >/dev/null
  sleep 2
  serf query $rpc -timeout=2s uptime all >/dev/null
  serf query $rpc -timeout=2s -tag role=web uptime tagged >/dev/null
  serf query $rpc -timeout=2s -node s3 -node s2 uptime named >/dev/null
  serf query $rpc -timeout=2s -no-ack uptime quiet >/dev/null
  serf query $rpc -timeout=2s -relay-factor=2 uptime relayed >/dev/null
  serf keys $rpc -install "$KEY2" >/dev/null
  serf keys $rpc -use "$KEY2" >/dev/null
  serf keys $rpc -list >/dev/null
  serf keys $rpc -remove "$KEY" >/dev/null
  sleep 2
  # The impostor: s3's name at another address (its own log file, not s3's).
  serf agent -node=s3 -bind=127.0.77.14:47989 -rpc-addr=127.0.0.1:47389 -log-level=debug -encrypt="$KEY2" \
    -disable-compression -join=127.0.77.11:47986 >"$WORK/serf-layer-impostor.log" 2>&1 &
  s4=$!
  sleep 6
  kill -9 "$s4" 2>/dev/null || true
  serf leave -rpc-addr=127.0.0.1:47387 >/dev/null || true
  sleep 3
  kill -INT "$s1" "$s3" 2>/dev/null || true
  sleep 2
  kill -9 "$s1" "$s2" "$s3" 2>/dev/null || true
  kill -INT "$dump"
  wait "$dump" 2>/dev/null || true
  node "$ROOT/scripts/capture-fixtures-extract.mjs" "$pcap" "$OUT/serf-layer.json" serf-layer "$(serf version | head -1)" \
    "$(dpkg-query -W -f='${Version}' serf 2>/dev/null || echo unknown)" \
    '{"127.0.77.11:47986":"s1","127.0.77.12:47987":"s2","127.0.77.13:47988":"s3","127.0.77.14:47989":"s3-impostor"}'
  cp "$WORK/serf-layer-impostor.log" "$OUT/serf-layer-impostor.log"
}

mkdir -p "$OUT"
if [ $# -eq 0 ]; then set -- compressed uncompressed encrypted ipv6 bigstate serf-layer; fi
for s in "$@"; do
  case $s in
    ipv6) run_ipv6 ;;
    bigstate) run_bigstate ;;
    serf-layer) run_serf_layer ;;
    *) run_scenario "$s" ;;
  esac
done
echo "fixtures written to $OUT (work dir $WORK)"
