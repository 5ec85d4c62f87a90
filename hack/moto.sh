#!/usr/bin/env bash
# moto (EC2/SQS/IAM/SSM emulator) on a free loopback port.
#   hack/moto.sh up      start it (installs moto into a project-local virtualenv if needed);
#                        the last stdout line is `export AWS_ENDPOINT_URL=http://127.0.0.1:<port>`
#   hack/moto.sh down    stop the server this script started (PID file), nothing else
#   hack/moto.sh status  print the endpoint and exit 0 when running, else exit 1
# Env: KARPENTER_MOTO_DIR (state: pid, port, log; default $KARPENTER_CACHE/moto),
#      KARPENTER_NO_PROVISION=1 (fail instead of installing moto), KARPENTER_MOTO_SERVER (existing moto_server).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

state=${KARPENTER_MOTO_DIR:-$CACHE/moto}
mkdir -p "$state"

running() {
  [ -f "$state/pid" ] && [ -f "$state/port" ] && pid_matches "$(cat "$state/pid")" moto_server \
    && curl -fs -o /dev/null "http://127.0.0.1:$(cat "$state/port")/moto-api/"
}

case ${1:-} in
  up)
    exec 9>"$state/lock"; flock 9
    if ! running; then
      if [ "${KARPENTER_NO_PROVISION:-}" = 1 ] && [ -z "${KARPENTER_MOTO_SERVER:-}" ] && [ ! -f "$(moto_venv)/.complete" ]; then
        die "moto is missing: run hack/provision.sh moto, or set KARPENTER_MOTO_SERVER to an existing moto_server"
      fi
      server=$(ensure_moto)
      port=$(free_port)
      # setsid: the server outlives this script and its caller; 9>&- keeps the lock out of it.
      setsid "$server" -H 127.0.0.1 -p "$port" </dev/null >"$state/moto.log" 2>&1 9>&- &
      echo $! > "$state/pid"; echo "$port" > "$state/port"
      for _ in $(seq 1 300); do
        running && break
        pid_matches "$(cat "$state/pid")" moto_server || die "moto_server exited during startup; see $state/moto.log"
        sleep 0.1
      done
      running || die "moto_server did not answer on 127.0.0.1:$port within 30 s; see $state/moto.log"
      log "moto $MOTO_VERSION up (pid $(cat "$state/pid"))"
    fi
    echo "export AWS_ENDPOINT_URL=http://127.0.0.1:$(cat "$state/port")"
    ;;
  down)
    exec 9>"$state/lock"; flock 9
    if [ -f "$state/pid" ]; then
      pid=$(cat "$state/pid")
      if pid_matches "$pid" moto_server; then
        kill "$pid"
        for _ in $(seq 1 50); do pid_matches "$pid" moto_server || break; sleep 0.1; done
        pid_matches "$pid" moto_server && kill -9 "$pid"
        log "moto stopped (pid $pid)"
      fi
      rm -f "$state/pid" "$state/port"
    fi
    ;;
  status)
    if running; then echo "moto running: http://127.0.0.1:$(cat "$state/port") (pid $(cat "$state/pid"))"; else echo "moto not running"; exit 1; fi
    ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
