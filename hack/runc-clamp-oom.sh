#!/usr/bin/env bash
# runc for the local kubelet's containerd (hack/local-cluster.sh --with-kubelet). Where the process lacks
# CAP_SYS_RESOURCE (sandboxed build machines), the kernel refuses to lower oom_score_adj below the
# caller's own value, and runc then fails every pod with "failed to update /proc/self/oom_score_adj:
# Permission denied". This wrapper raises a bundle's process.oomScoreAdj to the caller's value before
# `runc create`; everything else goes to runc unchanged. Env: KARPENTER_RUNC (default: runc on PATH).
set -euo pipefail
runc=${KARPENTER_RUNC:-$(command -v runc)}
bundle= prev= cmd=
for a in "$@"; do
  case $prev in --bundle|-b) bundle=$a ;; esac
  case $a in create|run) [ -z "$cmd" ] && cmd=$a ;; esac
  prev=$a
done
if [ -n "$cmd" ] && [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then
  floor=$(cat /proc/self/oom_score_adj)
  python3 - "$bundle/config.json" "$floor" <<'PY'
import json, sys
path, floor = sys.argv[1], int(sys.argv[2])
spec = json.load(open(path))
p = spec.get("process", {})
if "oomScoreAdj" in p and p["oomScoreAdj"] < floor:
    p["oomScoreAdj"] = floor
    json.dump(spec, open(path, "w"))
PY
fi
exec "$runc" "$@"
