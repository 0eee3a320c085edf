#!/usr/bin/env bash
# Installs bbr-ts and backs up the bundled example deployment (fixtures/example/manifest.yml), which this
# script starts as three real OpenSSH "VMs" on 127.0.0.21-23:2222 (needs root, as the test fleet does).
# Usage: bash scripts/example.sh [artifact-path]   (default ./example-artifacts)
set -euo pipefail
cd "$(dirname "$0")/.."
artifacts="${1:-./example-artifacts}"
fleet_dir="${BBR_TS_EXAMPLE_DIR:-/tmp/bbr-ts-example}"

if [ ! -x /usr/sbin/sshd ]; then
  echo "Installing openssh-server (the example's instances are real sshd processes)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends openssh-server >/dev/null
fi
[ -d node_modules ] && [ -f dist/main.js ] || npm ci --no-audit --no-fund

eval "$(node fixtures/fleet/cli.mjs up fixtures/example/manifest.yml --dir "$fleet_dir")"
mkdir -p "$artifacts"
set -x
node bin/bbr-ts.js deployment \
  --manifest fixtures/example/manifest.yml \
  --username root \
  --private-key-path "$BBR_TS_PRIVATE_KEY_PATH" \
  --known-hosts "$BBR_TS_KNOWN_HOSTS" \
  --ssh-port 2222 \
  backup --artifact-path "$artifacts"
set +x
echo
echo "Backup written under $artifacts. The example instances keep running; stop them with:"
echo "  node fixtures/fleet/cli.mjs down --dir $fleet_dir"
