#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need on a fresh Debian machine, then runs
# the unit and end-to-end suites. End-to-end tests start real OpenSSH servers (and PostgreSQL) as root.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v unshare >/dev/null || need_apt+=(util-linux)
command -v sudo >/dev/null || need_apt+=(sudo)  # the non-root login test runs scripts through real sudo
command -v zstd >/dev/null || need_apt+=(zstd)  # --remote-compress zstd, on the instances and locally
command -v tc >/dev/null || need_apt+=(iproute2)  # npm run bench: emulated links (ip netns, tc tbf)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need_apt+=(postgresql)
command -v age >/dev/null || need_apt+=(age)  # the age-format test decrypts bbr-ts's age files with the age CLI
command -v chromium >/dev/null || need_apt+=(chromium)  # the --report tests lay pages out in headless Chromium
[ -x /usr/bin/swift-proxy-server ] || need_apt+=(swift swift-proxy swift-account swift-container swift-object)  # a real S3 server (Swift + s3api) for the object storage tests
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
mkdir -p /run/sshd

npm ci --no-audit --no-fund
npm run build
results=.vitest-results.json
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?
# One plain closing line that any CI reads the same way.
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`)' "$results" || true
exit $status
