# shellcheck shell=bash
# The local cluster's Kubernetes binaries: the control plane (kube-apiserver,
# kube-controller-manager, kube-scheduler), the real node's kubelet and kube-proxy, and kubectl,
# at a minor EKS supports. One `go build` for all six: they share most packages, so building
# them together costs little more than the apiserver alone (kubelet + kube-proxy add ~4 MB of
# source and two links to the ~93 MB the control plane needs).
KUBERNETES_VERSION=v1.35.4

_kube_bins=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

ensure_kubernetes() {
  local v=$KUBERNETES_VERSION b ok=1
  tool_begin "kube-apiserver/controller-manager/scheduler/kubelet/proxy/kubectl" "$v"
  "$TOOLS_BIN/kube-apiserver" --version 2>/dev/null | grep -qxF "Kubernetes $v" || ok=0
  for b in kube-controller-manager kube-scheduler; do [[ -x $TOOLS_BIN/$b ]] || ok=0; done
  for b in kubelet kube-proxy; do "$TOOLS_BIN/$b" --version 2>/dev/null | grep -qxF "Kubernetes $v" || ok=0; done
  cached_at kubectl "$v" version --client || ok=0
  if ((ok)); then tool_done cached; return; fi
  # kubectl alone may be on PATH, but the control plane is never: only the Go route builds all.
  have_go || missing "Kubernetes server binaries" "$v" "https://kubernetes.io/releases/download/ (kubernetes-server-linux-amd64.tar.gz)"
  proxy_serves "k8s.io/kubernetes@$v" || missing "Kubernetes server binaries" "$v" "https://kubernetes.io/releases/download/"
  tool_progress "building all six in one go from the Go module proxy (about 15 min) ..."
  # k8s.io/kubernetes replaces its k8s.io/* staging modules with local paths; outside the repo
  # they are the published modules of the same release (v0.MINOR.PATCH).
  local gomod staging edits=()
  gomod=$(go_outside_module go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
  staging=$(go mod edit -json "$gomod" | node -e '
    const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
    for (const r of m.Replace || []) if (r.New.Path.startsWith("./staging/")) console.log(r.Old.Path);')
  for b in $staging; do edits+=("-replace=$b=$b@v0.${v#v1.}"); done
  # Version stamps as upstream's hack/lib/version.sh sets them: without them the apiserver
  # reports v0.0.0 and Helm's kubeVersion check rejects every chart.
  local minor=${v#v1.} ldflags="" p
  minor=${minor%%.*}
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  local out=$TOOLS_SRC/kube-build; rm -rf "$out"
  go_wrapper_build "$out" "k8s.io/kubernetes@$v" "$ldflags" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet \
    k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kubectl -- "${edits[@]}" ||
    missing "Kubernetes server binaries" "$v" "https://kubernetes.io/releases/download/"
  for b in "${_kube_bins[@]}"; do mv -f "$out/$b" "$TOOLS_BIN/$b"; done
  rm -rf "$out"
  tool_done "the Go module proxy"
}
