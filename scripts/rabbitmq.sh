# Functions to start, stop and reset the machine's RabbitMQ; sourced by scripts/setup-test-env.sh (needs log).
rabbit_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
rabbit_pids() { pgrep -u rabbitmq -x beam.smp || true; }

start_rabbit() {
  rabbitmq-server -detached >/dev/null 2>&1 || true
  for _ in $(seq 1 120); do rabbit_up && break; sleep 1; done
  rabbit_up || return 1
  timeout 60 rabbitmqctl -q await_startup >/dev/null 2>&1 || true
}

stop_rabbit() {
  timeout 60 rabbitmqctl -q stop >/dev/null 2>&1 || true
  for _ in $(seq 1 20); do [[ -z "$(rabbit_pids)" ]] && break; sleep 1; done
  local pids; pids="$(rabbit_pids)"
  if [[ -n "$pids" ]]; then kill -9 $pids 2>/dev/null || true; sleep 2; fi
}

reset_rabbit() {
  log "RabbitMQ does not work: stopping it and starting it on a fresh node state"
  stop_rabbit
  local mnesia=/var/lib/rabbitmq/mnesia
  if [[ -d "$mnesia" ]]; then
    local aside; aside="$mnesia.broken-$(date +%Y%m%d%H%M%S)"
    mv "$mnesia" "$aside" && log "old node state kept in $aside"
    install -d -o rabbitmq -g rabbitmq -m 750 "$mnesia"
  fi
  start_rabbit
}
