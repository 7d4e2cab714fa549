#!/usr/bin/env bash
# build-base.sh [TAG…]: makes the Dockerfiles' base image without a registry — Debian bookworm
# (minbase) from `debootstrap`, `docker import`ed and tagged debian:bookworm-slim (and any TAG
# given) in the Docker that DOCKER_HOST names. Idempotent: nothing happens when the image is
# there; the root filesystem's tar is cached (MLEX_COMPOSE_CACHE, default data/compose/cache) so
# a new Docker data root imports it in seconds instead of bootstrapping again.
#
# The mirror is the one this machine's apt uses (its sources), never one written here, so the
# image's own apt (the Dockerfiles' `apt-get install`) reaches the same mirror.
set -euo pipefail
image=debian:bookworm-slim
here=$(cd "$(dirname "$0")" && pwd)
cache=${MLEX_COMPOSE_CACHE:-$here/../../data/compose/cache}
tarball=$cache/bookworm-minbase.tar

if docker image inspect "$image" > /dev/null 2>&1; then
  for tag in "$@"; do docker tag "$image" "$tag"; done
  exit 0
fi

# The first Debian mirror apt is configured with (deb822 .sources or one-line sources.list),
# skipping the security archive, which debootstrap cannot bootstrap from.
mirror() {
  {
    cat /etc/apt/sources.list.d/*.sources 2> /dev/null || true
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2> /dev/null || true
  } | awk '/^URIs:/ { print $2 } /^deb .* bookworm / { print ($2 ~ /^\[/ ? $3 : $2) }' \
    | grep -v -- '-security' | grep -m1 '/debian/*$'
}

if [ ! -s "$tarball" ]; then
  command -v debootstrap > /dev/null || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
  url=$(mirror) || { echo "no Debian mirror in /etc/apt/sources.list*" >&2; exit 1; }
  mkdir -p "$cache"
  root=$(mktemp -d "$cache/rootfs.XXXX")
  trap 'rm -rf "$root" "$tarball.tmp"' EXIT
  echo "debootstrap bookworm (minbase) from the apt mirror…" >&2
  debootstrap --variant=minbase bookworm "$root" "$url" > "$cache/debootstrap.log" 2>&1 \
    || { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
  # What a registry's debian:bookworm-slim leaves out too: the package lists and caches.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  tar -C "$root" --numeric-owner -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
fi
docker import --change 'CMD ["bash"]' "$tarball" "$image" > /dev/null
for tag in "$@"; do docker tag "$image" "$tag"; done
echo "imported $image from $tarball" >&2
