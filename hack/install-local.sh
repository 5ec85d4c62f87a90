#!/usr/bin/env bash
# One command from a fresh clone: provision, bring up the local control plane with a real kubelet, build and
# load the controller image, `helm install` the chart, show `karpenter 2/2` READY, then let the in-cluster
# controller provision a simulated GPU node for a pending pod.
#   hack/install-local.sh            (as root; the cluster stays up: hack/local-cluster.sh down to stop it)
# Env: HELM (default: Helm 4 from hack/provision.sh tools; $CACHE/bin/helm3 for Helm 3), KARPENTER_CLUSTER_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$here/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}

"$here/provision.sh" k8s tools kubelet
eval "$("$here/local-cluster.sh" up --with-kubelet | tail -1)"
state=$(dirname "$KUBECONFIG")
"$here/image.sh" --load --address "$state/containerd/containerd.sock" >/dev/null
helm=${HELM:-$CACHE/bin/helm4}
kubectl=$CACHE/bin/kubectl
export HELM_CACHE_HOME=$state/helm/cache HELM_CONFIG_HOME=$state/helm/config HELM_DATA_HOME=$state/helm/data
# One node: the chart's one-replica-per-host anti-affinity would leave the second replica Pending.
"$helm" upgrade --install karpenter helm/karpenter -n kube-system \
  --set settings.clusterName=local --set-json 'affinity.podAntiAffinity=null' --wait --timeout 6m >/dev/null
"$kubectl" get deployment karpenter -n kube-system
echo "leader: $("$kubectl" get lease karpenter-leader-election -n kube-system -o jsonpath='{.spec.holderIdentity}')"
"$kubectl" apply -f docs/examples/gpu-guide/03-gpu-ec2nodeclasses.yaml -f docs/examples/gpu-guide/02-gpu-nodepools.yaml \
  -f src/test/resources/install/gpu-pod.yaml >/dev/null
for _ in $(seq 1 180); do
  node=$("$kubectl" get pod gpu-smoke -n default -o jsonpath='{.spec.nodeName}' 2>/dev/null || true)
  [ -n "$node" ] && break
  sleep 1
done
[ -n "$node" ] || die "the pending GPU pod was not placed within 180 s; see kubectl logs -n kube-system deployment/karpenter"
"$kubectl" get nodeclaims
echo "pod gpu-smoke -> node $node (provisioned by the in-cluster controller)"
echo "export KUBECONFIG=$KUBECONFIG"
