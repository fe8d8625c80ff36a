# syntax=docker/dockerfile:1
# Traductor image: `make docker-build` builds traductor-es-da:latest, `make docker-run` runs it.
#
#   docker run -d --name traductor-es-da --restart unless-stopped -p 8000:8000 \
#     -v "$PWD/models:/models:ro" --memory=8g --cpus=2 --read-only --tmpfs /tmp \
#     --cap-drop ALL --security-opt no-new-privileges --stop-timeout 45 traductor-es-da:latest
#
# Why .NET is copied onto Debian 12 instead of starting FROM a .NET image: the engine links Debian 12's
# oneDNN 2.6 and SentencePiece (the versions CI builds and tests with, see scripts/install-deps.sh),
# while .NET 10's own images are based on other distributions. The .NET SDK and ASP.NET runtime in
# those images are portable linux-x64 builds that only need glibc, so they run on Debian 12 as is.
# CI builds and tests with the same scripts on Debian 12; no Docker engine runs there, so this file is
# linted (scripts/check-deploy.sh), not built, in CI.

ARG DEBIAN_IMAGE=debian:12-slim
ARG DOTNET_SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG DOTNET_RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${DOTNET_SDK_IMAGE} AS dotnet-sdk
FROM ${DOTNET_RUNTIME_IMAGE} AS dotnet-runtime

# ---------------------------------------------------------------------------------------------------
# Build: the same Makefile targets and dependency script CI runs.
FROM ${DEBIAN_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1 \
    DOTNET_ROOT=/usr/share/dotnet
COPY --from=dotnet-sdk /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/local/bin/dotnet
WORKDIR /src
# System packages first, in their own layer, so a code change does not reinstall them.
# TRD_DEPS=build: only what compiling needs, not the deployment checkers CI also installs.
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN TRD_DEPS=build bash scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN dotnet restore Traductor.sln \
 && make build JOBS="$(nproc)" \
 && dotnet publish src/Traductor.Cli -c Release --no-restore -o /out/app \
 && test -f /out/app/libtraductor.so \
 && scripts/native-runtime-deps.sh --apt-pins /out/app/libtraductor.so > /out/runtime-packages.txt \
 && install -m 0755 deploy/docker/healthcheck.sh /out/healthcheck

# ---------------------------------------------------------------------------------------------------
# Runtime: Debian 12 slim + ASP.NET runtime + the engine's shared libraries, nothing else
# (no compiler, no curl, no package caches).
FROM ${DEBIAN_IMAGE} AS runtime
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# The package list comes from ldd of the libtraductor.so that was just built (see
# scripts/native-runtime-deps.sh), pinned to the versions it was built against.
COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && xargs -a /tmp/runtime-packages.txt apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && groupadd --system --gid 10001 traductor \
 && useradd --system --uid 10001 --gid traductor --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin traductor
COPY --from=dotnet-runtime /usr/share/dotnet /usr/share/dotnet
# Application files stay owned by root: the service user can read them, not change them.
COPY --from=build /out/app /app
COPY --from=build /out/healthcheck /usr/local/bin/traductor-healthcheck

# HOST=0.0.0.0 here only: the container's network namespace is the boundary (with --network none only
# the container's own loopback exists). Outside containers the default stays 127.0.0.1.
# DOTNET_EnableDiagnostics=0: no diagnostics IPC socket, so a read-only root filesystem needs no
# writable place for it. OMP_WAIT_POLICY=PASSIVE: OpenMP threads sleep instead of spinning between
# parallel regions, which matters under CPU limits (bench/results/analysis.md).
ENV DOTNET_ROOT=/usr/share/dotnet \
    DOTNET_EnableDiagnostics=0 \
    OMP_WAIT_POLICY=PASSIVE \
    HOST=0.0.0.0 \
    PORT=8000 \
    MODEL_PATH=/models/nllb-200-distilled-600M-ct2-int8 \
    LOG_TRANSLATIONS=false

# Models are mounted read-only: -v ./models:/models:ro (Docker) or a read-only PVC (Kubernetes).
WORKDIR /app
USER 10001:10001
EXPOSE 8000
# Loading a large model takes a while: failures during the start period do not count.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["/usr/local/bin/traductor-healthcheck"]
# SIGTERM (docker stop) drains in-flight requests for up to SHUTDOWN_TIMEOUT (30 s) before exiting:
# run with --stop-timeout above that.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/share/dotnet/dotnet", "/app/traductor.dll"]
CMD ["serve"]
