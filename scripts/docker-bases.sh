#!/usr/bin/env bash
# Makes sure the engine has the two base images deploy/Dockerfile builds FROM:
#   debian:${DEBIAN_RELEASE}-slim and rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE}
# (versions read from the Dockerfile's ARG defaults). Each is pulled; only when the pull fails (a
# network that does not reach Docker Hub, like this project's CI machines) is a stand-in made:
#   debian  `debootstrap --variant=minbase` of the same release, imported;
#   rust    that Debian plus gcc, libc6-dev and ca-certificates (what the official slim image
#           adds), and this machine's Rust toolchain, which must be the same version.
# The rust stand-in also trusts this machine's locally added CAs (/usr/local/share/ca-certificates),
# so cargo inside the build can reach crates.io through a TLS-inspecting proxy (Debian's apt uses
# plain HTTP and needs none).
# Needs root for debootstrap. Used by .ci/run before scripts/docker-smoke.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKER="${DOCKER:-docker}"

arg_default() { sed -n "s/^ARG $1=//p" deploy/Dockerfile | head -1; }
RUST_VERSION="$(arg_default RUST_VERSION)"
DEBIAN_RELEASE="$(arg_default DEBIAN_RELEASE)"
DEBIAN_IMAGE="debian:${DEBIAN_RELEASE}-slim"
RUST_IMAGE="rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE}"

# present IMAGE: says where IMAGE came from if the engine has it or can pull it.
present() {
  if "$DOCKER" image inspect "$1" >/dev/null 2>&1; then
    echo "$1: already present"
  elif "$DOCKER" pull -q "$1" >/dev/null 2>&1; then
    echo "$1: pulled"
  else
    return 1
  fi
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

local_cas() {
  mkdir -p "$1/cas"
  find /usr/local/share/ca-certificates -name '*.crt' -exec cp {} "$1/cas/" \; 2>/dev/null || true
}

if ! present "$DEBIAN_IMAGE"; then
  echo "$DEBIAN_IMAGE: not pullable; making a stand-in with debootstrap"
  command -v debootstrap >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq debootstrap; } >/dev/null 2>&1
  debootstrap --variant=minbase "$DEBIAN_RELEASE" "$work/rootfs" http://deb.debian.org/debian \
    >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; exit 1; }
  rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/archives/"*.deb
  tar -C "$work/rootfs" -c . | "$DOCKER" import - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$work/rootfs"
fi

if ! present "$RUST_IMAGE"; then
  echo "$RUST_IMAGE: not pullable; making a stand-in from this machine's toolchain"
  sysroot="$(rustc --print sysroot)"
  case "$(rustc --version)" in
    "rustc $RUST_VERSION."*) ;;
    *) echo "this machine has $(rustc --version), the Dockerfile wants $RUST_VERSION" >&2; exit 1 ;;
  esac
  local_cas "$work/rust"
  mkdir -p "$work/rust/toolchain"
  cp -a "$sysroot/bin" "$sysroot/lib" "$work/rust/toolchain/"
  [ -d "$sysroot/libexec" ] && cp -a "$sysroot/libexec" "$work/rust/toolchain/"
  cat >"$work/rust/Dockerfile" <<EOF
FROM $DEBIAN_IMAGE
COPY cas/ /usr/local/share/ca-certificates/
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/* && update-ca-certificates
COPY toolchain /usr/local/rust
ENV CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN mkdir -p /usr/local/cargo/bin && cargo --version
EOF
  "$DOCKER" build -q -t "$RUST_IMAGE" "$work/rust" >/dev/null
fi
