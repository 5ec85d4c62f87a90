#!/usr/bin/env bash
# Builds the controller image without a container engine and without pulling anything, the same
# layout as the Dockerfile (which needs a registry): a jlink-trimmed Java runtime (modules from jdeps),
# the glibc libraries it links against (copied from this Debian machine, as distroless/base-debian12
# ships them), /etc/passwd with the non-root user 65532, the shaded jar, entrypoint `java -jar
# /app/karpenter.jar`, command `controller`. No shell or package manager in the image.
#   hack/image.sh [--load] [--address SOCK]
#     --load      import into containerd's k8s.io namespace (ctr images import), as the kubelet sees it
#     --address   containerd socket (default: the --with-kubelet cluster's, else /run/containerd/containerd.sock)
# Output: target/image/controller.oci.tar (OCI image layout archive; also loadable with podman/skopeo/docker),
# last stdout line: the image reference. Env: IMAGE (default docker.io/karpenter-java/controller:<version>),
# JAVA_HOME (a JDK 21+ with jlink and jdeps; default Temurin 25).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
root=$(cd "$here/.." && pwd)
cd "$root"

load=0 address=
while [ $# -gt 0 ]; do
  case $1 in
    --load) load=1 ;;
    --address) address=$2; shift ;;
    *) die "usage: $0 [--load] [--address SOCK]" ;;
  esac
  shift
done

export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
for t in jlink jdeps; do [ -x "$JAVA_HOME/bin/$t" ] || die "$JAVA_HOME/bin/$t not found: set JAVA_HOME to a JDK 21+"; done
version=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -1 | sed 's/-SNAPSHOT//')
IMAGE=${IMAGE:-docker.io/karpenter-java/controller:$version}
jar=target/karpenter.jar
if [ ! -f "$jar" ] || [ -n "$(find src/main pom.xml -newer "$jar" -print -quit)" ]; then
  log "building $jar"
  ./mvnw -B -q -DskipTests package >&2
fi

start=$(date +%s)
work=target/image
rm -rf "$work"; mkdir -p "$work"
rootfs=$work/rootfs
modules=$("$JAVA_HOME/bin/jdeps" --ignore-missing-deps --print-module-deps --multi-release 21 "$jar")
log "jlink modules (jdeps): $modules"
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress zip-6 --output "$rootfs/opt/java"

# The shared libraries the runtime needs, from this machine (Debian's glibc), at their own paths.
# (Not those of the AWT/X11, sound and splash-screen libraries: a headless JVM never loads them.)
libs=$(find "$rootfs/opt/java" -type f \( -name java -o -name '*.so' \) \
    ! -name 'libawt_xawt.so' ! -name 'libjawt.so' ! -name 'libsplashscreen.so' ! -name 'libjsound.so' -exec ldd {} + 2>/dev/null \
  | awk '/=> \//{print $3} /^\s*\/lib/{print $1}' | sort -u)
for l in $libs /lib64/ld-linux-x86-64.so.2; do
  real=$(readlink -f "$l")
  mkdir -p "$rootfs$(dirname "$l")"
  cp "$real" "$rootfs$l"
done
# glibc loads these at run time (name service, DNS) without ldd seeing them.
for l in /lib/x86_64-linux-gnu/libnss_dns.so.2 /lib/x86_64-linux-gnu/libnss_files.so.2 /lib/x86_64-linux-gnu/libresolv.so.2; do
  [ -e "$l" ] && cp "$(readlink -f "$l")" "$rootfs$l"
done
mkdir -p "$rootfs/etc" "$rootfs/app" "$rootfs/tmp" "$rootfs/home/nonroot"
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$rootfs/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
cp "$jar" "$rootfs/app/karpenter.jar"
[ ! -e "$rootfs/bin/sh" ] || die "the image must not contain a shell"

ref=$(python3 "$here/oci-image.py" --rootfs "$rootfs" --name "$IMAGE" --out "$work/controller.oci.tar" \
  --entrypoint '["/opt/java/bin/java","--sun-misc-unsafe-memory-access=allow","-jar","/app/karpenter.jar"]' \
  --cmd '["controller"]' --user 65532:65532 --workdir /home/nonroot --owner home/nonroot=65532:65532 \
  --env PATH=/opt/java/bin --env JAVA_HOME=/opt/java \
  --env 'JDK_JAVA_OPTIONS=-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData' \
  --expose 8080/tcp --expose 8081/tcp \
  --label org.opencontainers.image.title=karpenter-java --label "org.opencontainers.image.version=$version")
log "image $IMAGE ($ref, $(du -sh "$work/controller.oci.tar" | cut -f1), rootfs $(du -sh "$rootfs" | cut -f1)) in $(( $(date +%s) - start )) s"

if [ $load = 1 ]; then
  if [ -z "$address" ]; then
    state=${KARPENTER_CLUSTER_DIR:-$CACHE/cluster}
    if [ -S "$state/containerd/containerd.sock" ]; then address=$state/containerd/containerd.sock; else address=/run/containerd/containerd.sock; fi
  fi
  [ -S "$address" ] || die "no containerd socket at $address: start the cluster with hack/local-cluster.sh up --with-kubelet, or pass --address"
  ctr -a "$address" -n k8s.io images import "$work/controller.oci.tar" >&2
  log "loaded $IMAGE into containerd ($address, namespace k8s.io)"
fi
echo "$IMAGE"
