#!/bin/bash
# Docker HEALTHCHECK for the Traductor image: exit 0 only when GET /health answers 200 (model loaded).
#
# Plain bash over /dev/tcp instead of curl or wget: the runtime image ships neither (less to patch,
# less for an intruder to use), and starting a second .NET process every 30 s for a `traductor`
# check mode would cost ~100 ms of CPU and tens of MB each time. bash is in the base image anyway.
# The check connects to the loopback inside the container, so it works with --network none.
set -u
port=${PORT:-8000}
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3 || exit 1
IFS= read -r -t "${HEALTHCHECK_READ_TIMEOUT:-4}" status_line <&3 || exit 1
exec 3<&-
# "HTTP/1.1 200 OK\r": anything but 200 (503 while loading or after a failed load) is unhealthy.
[[ $status_line =~ ^HTTP/1\.[01]\ 200[[:space:]] ]]
