#!/usr/bin/env bash
# npm run test:image (not part of npm test; needs root and podman): builds the image on a local
# base made here from this machine's node (no base image can be pulled), then runs, from the
# image's own filesystem under chroot (no container can be started here), `rsb --version` and a
# broker that answers a request. Removes what it made.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/rsb-test-image-XXXXXX")
base=localhost/rsb-test-base:node$(node -p 'process.versions.node.split(".")[0]')
image=localhost/rsb-test:$(node -p "require('./package.json').version")
mnt=''
broker=''
stage=''
cleanup() {
  [[ -n "$broker" ]] && kill "$broker" 2>/dev/null && wait "$broker" 2>/dev/null || true
  if [[ -n "$mnt" ]]; then
    umount "$mnt/proc" "$mnt/dev" 2>/dev/null || true
    podman image unmount "$image" >/dev/null 2>&1 || true
  fi
  podman rmi -f "$image" "$base" >/dev/null 2>&1 || true
  # A staging folder given by the caller (STAGE_DIR) is theirs to keep.
  [[ -n "$stage" && -z "${STAGE_DIR:-}" ]] && rm -rf "$stage"
  rm -rf "$work"
}
trap cleanup EXIT

echo "== a local base image: this machine's node, its libraries, a node user (uid 1000)"
rootfs="$work/base/rootfs"
mkdir -p "$rootfs"/{usr/local/bin,etc,tmp,proc,dev,app}
chmod 1777 "$rootfs/tmp"
cp "$(command -v node)" "$rootfs/usr/local/bin/node"
for lib in $(ldd "$(command -v node)" | grep -o '/[^ ]*'); do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' > "$rootfs/etc/group"
printf 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/local/bin:/usr/bin:/bin\n' > "$work/base/Containerfile"
podman build --isolation chroot -q -f "$work/base/Containerfile" -t "$base" "$work/base" >/dev/null
echo "built $base"

echo "== the rsb image on it (npm run image)"
BASE_IMAGE="$base" IMAGE="$image" scripts/image.sh > "$work/image.out"
cat "$work/image.out"
stage=$(sed -n 's/^staging: //p' "$work/image.out")
podman image inspect "$image" --format 'entrypoint {{.Config.Entrypoint}}, user {{.Config.User}}, size {{.Size}} bytes'

echo "== from the image's filesystem under chroot"
mnt=$(podman image mount "$image")
mount --bind /proc "$mnt/proc"
mount --bind /dev "$mnt/dev"
# A clean environment, as a container would have: nothing of this machine's but what the image sets.
chroot_bin=$(command -v chroot)
in_image() { env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp CI=1 "$chroot_bin" --userspec=1000:1000 "$mnt" /usr/local/bin/node /app/bin/run.js "$@"; }
echo "\$ rsb --version"
in_image --version
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
echo "\$ rsb start --port $port --no-admin --id image-broker"
# Not through the function: env execs chroot, which execs node, so $! is the broker itself.
env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp CI=1 "$chroot_bin" --userspec=1000:1000 "$mnt" /usr/local/bin/node /app/bin/run.js start --port "$port" --no-admin --id image-broker > "$work/broker.log" 2>&1 &
broker=$!
for _ in $(seq 1 100); do grep -q 'listening on' "$work/broker.log" && break; sleep 0.1; done
cat "$work/broker.log"
echo "\$ rsb call rsb.broker.health --broker 127.0.0.1:$port"
answer=$(in_image call rsb.broker.health --broker "127.0.0.1:$port")
echo "$answer" | node -e "let t='';process.stdin.on('data',d=>t+=d).on('end',()=>{const a=JSON.parse(t);console.log(JSON.stringify({status:a.status,id:a.id,connections:a.connections}));if(a.status!=='up'||a.id!=='image-broker')process.exit(1)})"
echo "== passed: the image runs rsb, and its broker answers"
