#!/usr/bin/env bash
# Every deployment check, by the real tools, in one command (CI runs the same tests inside `make test`,
# as the Traductor.Deploy.Tests project of the solution, so they count in the totals):
#   - systemd-analyze verify + security on scripts/traductor.service
#   - nginx -t on deploy/nginx/traductor.conf, and nginx running it (no instance up: JSON errors)
#   - promtool check rules/config and promtool test rules (a firing and a silent case per alert)
#   - Kubernetes manifests: schema validation (npm kubernetes-models) + the required fields
#   - Dockerfile lint (npm dockerfile-utils) + the HEALTHCHECK script against a server
#   - .env.example / ConfigMap / image ENV against the service's own settings loader
#   - the rolling update: two `traductor serve` behind nginx, each replaced under load, 0 failures
# Usage: scripts/check-deploy.sh [--no-build] [extra dotnet test arguments, e.g. --filter Nginx]
# Needs the tools scripts/install-deps.sh installs. Prints the measured figures at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
configuration=${CONFIGURATION:-Release}
build=1
if [[ ${1:-} == --no-build ]]; then build=0; shift; fi

if ((build)); then
  make native
  dotnet build src/Traductor.Cli -c "$configuration" --nologo -v q
  dotnet build tests/Traductor.Deploy.Tests -c "$configuration" --nologo -v q
fi

rm -rf build/deploy-checks
status=0
dotnet test tests/Traductor.Deploy.Tests -c "$configuration" --no-build --nologo \
  --logger "console;verbosity=normal" "$@" || status=1

echo
echo "== figures"
if compgen -G "build/deploy-checks/*.txt" >/dev/null; then
  cat build/deploy-checks/*.txt
else
  echo "(none written: the tests that measure them did not run)"
fi
exit $status
