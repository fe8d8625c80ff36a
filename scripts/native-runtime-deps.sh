#!/usr/bin/env bash
# Lists the shared libraries a native binary loads (ldd) and the Debian packages that ship them.
#   scripts/native-runtime-deps.sh [--apt-pins] [LIB]      LIB defaults to build/native/libtraductor.so
# Default output: one line per library, "soname<TAB>path<TAB>package<TAB>version".
# --apt-pins: one "package=version" per package, the argument list the Dockerfile's runtime stage
# hands to apt-get so the image ships exactly the libraries the engine was built against.
set -euo pipefail
mode=table
if [[ ${1:-} == --apt-pins ]]; then mode=pins; shift; fi
lib=${1:-build/native/libtraductor.so}
[[ -f $lib ]] || { echo "native-runtime-deps: $lib not found (run 'make native' first)" >&2; exit 1; }

ldd_out=$(ldd "$lib") || { echo "native-runtime-deps: ldd failed on $lib" >&2; exit 1; }
if grep -q 'not found' <<<"$ldd_out"; then
  echo "native-runtime-deps: $lib needs libraries that are not installed:" >&2
  grep 'not found' <<<"$ldd_out" >&2
  exit 1
fi

declare -A seen=()
while read -r soname path; do
  # dpkg knows the path the package installed, which may be the usr-merged or the symlinked one.
  owner=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null || true)
  if [[ -z $owner ]]; then
    echo "native-runtime-deps: no Debian package owns $path ($soname)" >&2
    exit 1
  fi
  pkg=${owner%%: *}
  version=$(dpkg-query -W -f='${Version}' "$pkg")
  if [[ $mode == table ]]; then
    printf '%s\t%s\t%s\t%s\n' "$soname" "$path" "${pkg%%:*}" "$version"
  elif [[ -z ${seen[$pkg]:-} ]]; then
    seen[$pkg]=1
    printf '%s=%s\n' "${pkg%%:*}" "$version"
  fi
done < <(awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' <<<"$ldd_out")
