#!/usr/bin/env bash
# npm run image: builds the app outside the image (npm ci, build, prune dev dependencies) in a
# staging folder, then the image from the Containerfile with podman. Prints the staging folder
# and the image name. BASE_IMAGE (default node:20-slim) and IMAGE (default rsb:VERSION) override.
# STAGE_DIR reuses a staging folder a previous run prepared.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(node -p "require('./package.json').version")
image=${IMAGE:-rsb:$version}
base=${BASE_IMAGE:-node:20-slim}
stage=${STAGE_DIR:-}
if [[ -z "$stage" ]]; then
  stage=$(mktemp -d "${TMPDIR:-/tmp}/rsb-image-XXXXXX")
  cp -r package.json package-lock.json tsconfig.json tsconfig.build.json bin src commands patches bench-scenarios "$stage"/
  # npm ci installs what the lockfile says, applies the patches and builds (the prepare script).
  (cd "$stage" && npm ci --no-audit --no-fund --loglevel=error && npm prune --omit=dev --no-audit --no-fund --loglevel=error)
  rm -rf "$stage/src" "$stage/commands" "$stage/tsconfig.json" "$stage/tsconfig.build.json"
fi
# chroot isolation: builds where no container can be started (the Containerfile has no RUN step).
podman build --isolation chroot --build-arg "BASE_IMAGE=$base" -f Containerfile -t "$image" "$stage" >&2
echo "staging: $stage"
echo "image: $image"
