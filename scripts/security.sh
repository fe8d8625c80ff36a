#!/usr/bin/env bash
# `make security`: the dependency audit operators run weekly (handbook), and what it could not check.
#  1. NuGet: `dotnet list package --vulnerable --include-transitive` over the whole solution. The
#     vulnerability data comes from the configured NuGet source (nuget.config) at the time of the run:
#     with no source reachable the scan cannot say anything, and this script says so and fails rather
#     than printing a clean result it did not get. A canary project that pins a package version with
#     a published advisory (System.Text.Json 8.0.0: CVE-2024-30105, CVE-2024-43485) is scanned the
#     same way: if the source does not flag it, the source serves no advisory data and a "no vulnerable
#     packages" answer for the solution means nothing. That is reported as inconclusive (exit 2).
#  2. Native: the shared libraries the image ships with libtraductor.so (ldd) and the Debian packages
#     and versions that provide them (dpkg). Debian publishes their security status (DSAs, the
#     security tracker); this script lists them, it does not look them up (no network here).
# Exit status: 0 clean, 1 vulnerable packages found or a check could not run, 2 inconclusive (the
# NuGet source has no advisory data).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0

echo "== NuGet packages with known vulnerabilities (source: $(grep -o 'key="[^"]*"' nuget.config | head -1 | cut -d'"' -f2))"
report=$(mktemp)
trap 'rm -f "$report"' EXIT
if dotnet list Traductor.sln package --vulnerable --include-transitive >"$report" 2>&1; then
  cat "$report"
  if grep -qE '^\s+>\s' "$report"; then
    echo "RESULT: vulnerable NuGet packages found (listed above)"
    status=1
  elif grep -qiE 'has no vulnerable packages' "$report"; then
    canary=$(mktemp -d)
    cp nuget.config "$canary/"
    cat >"$canary/canary.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
    <NoWarn>NU1510;NU1903;NU1902</NoWarn>
  </PropertyGroup>
  <ItemGroup><PackageReference Include="System.Text.Json" Version="8.0.0" /></ItemGroup>
</Project>
XML
    if (cd "$canary" && dotnet restore -v q >/dev/null 2>&1 && dotnet list package --vulnerable 2>&1) | grep -q 'System.Text.Json'; then
      echo "RESULT: no known vulnerabilities in direct or transitive NuGet packages (the source's advisory data is live: a canary with a known advisory was flagged)"
    else
      echo "RESULT: INCONCLUSIVE. The NuGet source answered, but it serves no vulnerability data: a canary"
      echo "        project pinning System.Text.Json 8.0.0 (CVE-2024-30105, CVE-2024-43485) was not flagged either."
      echo "        'No vulnerable packages' above therefore means nothing. Run 'make security' where nuget.org"
      echo "        itself (or a mirror that serves its VulnerabilityInfo resource) is reachable."
      status=2
    fi
    rm -rf "$canary"
  else
    echo "RESULT: unexpected output from dotnet list package; read it above"
    status=1
  fi
else
  cat "$report"
  echo "RESULT: the NuGet vulnerability scan could not run (no restore yet, or the source and its advisory data unreachable)."
  echo "        Nothing was checked; run 'dotnet restore Traductor.sln' and retry where the NuGet source is reachable."
  status=1
fi

echo
echo "== Native libraries shipped in the image (ldd of libtraductor.so -> Debian package and version)"
lib=build/native/libtraductor.so
if [[ -f $lib ]]; then
  printf '%-28s %-48s %-22s %s\n' SONAME PATH PACKAGE VERSION
  if ! bash scripts/native-runtime-deps.sh "$lib" | while IFS=$'\t' read -r soname path pkg version; do
      printf '%-28s %-48s %-22s %s\n' "$soname" "$path" "$pkg" "$version"
    done; then
    status=1
  fi
  echo "(check these versions against https://security-tracker.debian.org or 'debsecan' where it can reach the network;"
  echo " the image build pins exactly these versions: scripts/native-runtime-deps.sh --apt-pins)"
else
  echo "RESULT: $lib is not built; run 'make native' first"
  status=1
fi

echo
echo "== .NET runtime"
dotnet --list-runtimes | grep -E 'Microsoft\.(NETCore|AspNetCore)\.App' || status=1
echo "(the image copies the ASP.NET Core runtime from the official image at build time: rebuild the image to pick up .NET security releases)"
exit $status
