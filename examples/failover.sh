#!/bin/sh
# Failover with an event handler: start a singleton service on this node when it becomes the
# leader for the service's key, stop it when another node is. Run it from every agent:
#
#   lifeline agent --name web-1 --join 10.0.0.5:7946 \
#     --event-handler 'member-join,member-leave,member-failed=/usr/local/bin/failover.sh'
#
# The agent runs this with LIFELINE_EVENT and LIFELINE_SELF_NAME in the environment and one
# line per member on stdin (name, addr, state, tags separated by tabs); it runs handlers one at
# a time, so two copies of this script never race on one node.
#
# The leader is the ring owner of KEY among the up members (`lifeline leader --key KEY`), the
# same on every agent once their member lists agree. It is not consensus: during a partition
# both sides can start the service; give it a lease or a lock if that would do harm.
set -eu

KEY="${FAILOVER_KEY:-nightly-report}"
HTTP="${LIFELINE_HTTP:-127.0.0.1:7947}"
START="${FAILOVER_START:-systemctl start nightly-report.service}"
STOP="${FAILOVER_STOP:-systemctl stop nightly-report.service}"

cat > /dev/null # the member lines: this script only needs the leader

leader="$(lifeline leader --key "$KEY" --http "$HTTP")" || exit 1
if [ "$leader" = "$LIFELINE_SELF_NAME" ]; then
  echo "$LIFELINE_EVENT: $KEY leader is this node ($leader); starting"
  sh -c "$START"
else
  echo "$LIFELINE_EVENT: $KEY leader is $leader; stopping here if running"
  sh -c "$STOP" || true
fi
