#!/bin/bash
# Container health probe for the smsp-bridge image (Dockerfile HEALTHCHECK, compose).
#
# GET http://${SMSP_BRIDGE_HEALTHCHECK_HOST:-127.0.0.1}:${SMSP_BRIDGE_HEALTHCHECK_PORT:-8080}${SMSP_BRIDGE_HEALTHCHECK_PATH:-/_ping}
# and exit 0 on HTTP 200, 1 otherwise. Uses bash's /dev/tcp, so the runtime image needs no curl
# or wget. /_ping is the liveness endpoint: open, cheap, and independent of SMSP. The Helm
# chart's `helm test` pod runs it against the Service (another host, and /_status too).
# Docker's HEALTHCHECK --timeout bounds the whole probe; `read -t` bounds the wait for an answer.
set -u
host="${SMSP_BRIDGE_HEALTHCHECK_HOST:-127.0.0.1}"
port="${SMSP_BRIDGE_HEALTHCHECK_PORT:-8080}"
path="${SMSP_BRIDGE_HEALTHCHECK_PATH:-/_ping}"

if ! { exec 3<>"/dev/tcp/${host}/${port}"; } 2>/dev/null; then
    echo "unhealthy: cannot connect to ${host}:${port}" >&2
    exit 1
fi
printf 'GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: smsp-bridge-healthcheck\r\nConnection: close\r\n\r\n' \
    "$path" "$host" "$port" >&3
status_line=""
IFS= read -r -t 4 status_line <&3 || true
exec 3<&- 3>&-
case "$status_line" in
    "HTTP/1."?" 200 "*)
        exit 0
        ;;
    *)
        echo "unhealthy: GET ${path} answered '${status_line%$'\r'}'" >&2
        exit 1
        ;;
esac
