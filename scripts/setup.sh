#!/usr/bin/env bash
# Installs and starts what linkswitch and its tests need on a Debian machine, idempotently:
# the Docker engine (docker.io), docker-compose and HAProxy from Debian's packages, then dockerd if it is not
# answering. Safe to run again: it only acts on what is missing.
set -euo pipefail

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
# docker-compose (v1, Debian's) runs the sidecar stack of docker-compose.yml in the tests.
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
# patchelf: haproxy/build.ts points Debian 13's HAProxy 3.0 at its own library closure.
command -v patchelf >/dev/null 2>&1 || need+=(patchelf)
# pebble (and its pebble-challtestsrv): Let's Encrypt's test CA and a DNS answering 127.0.0.1,
# the real ACME server of the certificate tests.
command -v pebble >/dev/null 2>&1 && command -v pebble-challtestsrv >/dev/null 2>&1 || need+=(pebble)
# gcc and libc6-dev: the test images' health-check binary is compiled static (test/fixtures/app).
echo 'int main(void){return 0;}' | gcc -static -x c -o /dev/null - >/dev/null 2>&1 || need+=(gcc libc6-dev)
if [ "${#need[@]}" -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# apt may start a packaged haproxy service on some machines; linkswitch runs its own instances.

if ! docker info >/dev/null 2>&1; then
  echo "setup: starting dockerd"
  # setsid: dockerd must outlive this script (and the CI step that runs it).
  # DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: Swarm tasks use the local image instead of first asking a
  # registry (none is reachable here: every task start would wait on a DNS lookup that fails).
  DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 setsid nohup dockerd >/var/log/linkswitch-dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not start; see /var/log/linkswitch-dockerd.log" >&2; exit 1; }
fi
# Node 24 LTS from the npm registry (Debian 12's Node 20 is past its end of life): the sidecar
# image ships it and CI runs the suite on it. It goes to .cache/node/ in this checkout only.
echo "setup: Node $(node scripts/node-runtime.mjs --bin-dir)/node for the sidecar image and CI"
echo "setup: docker $(docker info --format '{{.ServerVersion}}'), $(haproxy -v | head -n1)"
