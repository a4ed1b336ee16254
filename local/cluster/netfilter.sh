# shellcheck shell=bash
# Which iptables chains, rules and ipsets belong to the local node, and their removal. Sourced
# by local/cluster/node.sh; needs ledger.sh, iptables(-save/-restore) and ipset, no toolchain.
#
# kube-proxy, kube-router, the kubelet and the CNI plugins write into the host's tables under
# names that other tools use too (k3s, kubeadm and minikube run the same kube-proxy; podman and
# nerdctl the same CNI plugins). So a chain is ours by the ledger and by what it is linked to,
# never by its name (review M1):
#   - roots: the fixed entry chains our programs create (NF_ROOTS), and only where the table did
#     not have them before `up` (the snapshot in $LEDGER_DIR/netfilter-before); plus the chains
#     our own scripts create, recorded in the ledger before they exist (TF-GUARD, TFN-NODES).
#     Never a chain merely because it appeared while `up` ran: that window includes the image
#     build, minutes on a first run, and Docker, fail2ban or libvirt may create theirs in it
#     (review M4 of 2026-12-07);
#   - everything reachable from a root by -j/-g, unless it existed before `up`;
#   - a chain whose rules carry our CNI network's comment (name: "$CNI_NET" id: ...), which is
#     how the bridge and portmap plugins tag each pod's chains;
#   - in any other chain (built-in or foreign), only the rules that jump into one of ours or
#     carry our CNI comment;
#   - ipsets referenced by our rules (kube-router's policy sets);
#   - kube-router's policy sets (KUBE-SRC-/KUBE-DST-<16 base32>) born after `up` that no rule
#     uses any more: kube-router creates them for each NetworkPolicy while it runs and destroys
#     stale ones only on its next full sync, so after a `pulumi destroy` they outlive their
#     rules. While our node runs no other kube-router can (`up` refuses beside one), so a set of
#     that shape that was not there before `up` is ours.
# `up` refuses to start when another kube-proxy or kube-router already owns the fixed chains:
# ours would share them, and nothing could tell our rules from theirs afterwards.

NF_TABLES=(filter nat mangle raw)
# The entry chains kube-proxy (iptables mode), the kubelet (canaries), kube-router's firewall
# and the CNI portmap plugin create; every other chain of theirs hangs off one of these.
NF_ROOTS=(KUBE-SERVICES KUBE-NODEPORTS KUBE-POSTROUTING KUBE-MARK-MASQ KUBE-MARK-DROP KUBE-FORWARD
  KUBE-PROXY-FIREWALL KUBE-EXTERNAL-SERVICES KUBE-PROXY-CANARY KUBE-KUBELET-CANARY KUBE-FIREWALL KUBE-IPTABLES-HINT
  KUBE-ROUTER-INPUT KUBE-ROUTER-FORWARD KUBE-ROUTER-OUTPUT KUBE-NWPLCY-DEFAULT
  CNI-HOSTPORT-DNAT CNI-HOSTPORT-SNAT CNI-HOSTPORT-MASQ CNI-HOSTPORT-SETMARK)
# Of those, the ones only one kube-proxy / kube-router per host can own. (The CNI-HOSTPORT-*
# chains are shared by design between every user of the portmap plugin: ours are only the
# rules tagged with our network, which the plugin removes itself when a pod goes.)
NF_EXCLUSIVE=(KUBE-SERVICES KUBE-POSTROUTING KUBE-FORWARD KUBE-ROUTER-INPUT KUBE-ROUTER-FORWARD KUBE-ROUTER-OUTPUT)

nf_families() { # the iptables families this host has
  command -v iptables-save >/dev/null 2>&1 && echo iptables
  command -v ip6tables-save >/dev/null 2>&1 && ip6tables-save -t filter >/dev/null 2>&1 && echo ip6tables
  return 0
}
nf_chains() { # FAMILY TABLE : the table's user-defined chains
  "$1-save" -t "$2" 2>/dev/null | awk '/^:/ && $2 == "-" { print substr($1, 2) }'
}

# nf_snapshot : every chain and ipset on the host now, as "FAMILY TABLE CHAIN" / "ipset - NAME".
nf_snapshot() {
  local f t c
  for f in $(nf_families); do
    for t in "${NF_TABLES[@]}"; do
      for c in $(nf_chains "$f" "$t"); do echo "$f $t $c"; done
    done
  done
  command -v ipset >/dev/null 2>&1 && ipset list -n 2>/dev/null | sed 's/^/ipset - /'
  return 0
}

# nf_foreign_owner : the first exclusive chain another program already owns ("" when none).
nf_foreign_owner() {
  local f t c
  for f in $(nf_families); do
    for t in "${NF_TABLES[@]}"; do
      for c in $(nf_chains "$f" "$t"); do
        [[ " ${NF_EXCLUSIVE[*]} " == *" $c "* ]] || continue
        ledger_has chain "$f" "$t" "$c" && continue
        echo "$f -t $t chain $c"; return 0
      done
    done
  done
}

# nf_record_before : at the start of `up`, once per node lifetime.
nf_record_before() {
  [[ -f $LEDGER_DIR/netfilter-before ]] && return 0
  # Through a variable: a write that fails (a full disk) must fail here, not leave a short file
  # that makes down remove nothing and leftovers report clean (review M5).
  local snap; snap=$(nf_snapshot)
  printf '%s\n' "$snap" 2>/dev/null > "$LEDGER_DIR/netfilter-before.tmp" && mv "$LEDGER_DIR/netfilter-before.tmp" "$LEDGER_DIR/netfilter-before"
}
# nf_plan ROOTS BEFORE NET < iptables-save-of-one-table : the iptables-restore lines (-D, -F,
# -X) that remove what is ours in that table, and "#set NAME" for each ipset our rules use.
# Pure (text in, text out); ROOTS and BEFORE are space-separated chain names.
nf_plan() {
  awk -v roots=" $1 " -v before=" $2 " -v net="$3" '
    function target(line,   m) {
      if (match(line, / -[jg] [^ ]+/)) { m = substr(line, RSTART + 4, RLENGTH - 4); return m }
      return ""
    }
    /^:/ { name = substr($1, 2); declared[name] = 1; if ($2 != "-") builtin[name] = 1; order[++nc] = name; next }
    /^-A / { n++; chain[n] = $2; rule[n] = substr($0, 4); tgt[n] = target($0)
             tagged[n] = index($0, "name: \\\"" net "\\\" id: \\\"") > 0; next }
    END {
      for (i = 1; i <= nc; i++) {
        c = order[i]
        if (builtin[c] || index(before, " " c " ")) continue
        if (index(roots, " " c " ")) own[c] = 1
      }
      for (i = 1; i <= n; i++) if (tagged[i] && !builtin[chain[i]] && !index(before, " " chain[i] " ")) own[chain[i]] = 1
      do {                       # everything reachable from ours, except what was there before
        grew = 0
        for (i = 1; i <= n; i++) {
          t = tgt[i]
          if (own[chain[i]] && (t in declared) && !builtin[t] && !own[t] && !index(before, " " t " ")) { own[t] = 1; grew = 1 }
        }
      } while (grew)
      for (i = 1; i <= n; i++) {
        if (own[chain[i]] || own[tgt[i]] || tagged[i]) {
          s = rule[i]
          while (match(s, /--match-set [^ ]+/)) { set[substr(s, RSTART + 12, RLENGTH - 12)] = 1; s = substr(s, RSTART + RLENGTH) }
        }
        if (!own[chain[i]] && (own[tgt[i]] || tagged[i])) print "-D " rule[i]
      }
      for (i = 1; i <= nc; i++) if (own[order[i]]) print "-F " order[i]
      for (i = 1; i <= nc; i++) if (own[order[i]]) print "-X " order[i]
      for (s in set) print "#set " s
    }'
}

# nf_orphan_policy_sets BEFORE_SETS REFERENCED < set-names : kube-router policy sets that were
# not there before `up` (BEFORE_SETS) and that no rule uses now (REFERENCED). Pure; both
# arguments are space-separated names.
nf_orphan_policy_sets() {
  # grep for the shape (mawk, Debian's awk, lacks {n} intervals in older releases)
  grep -xE '(inet6:)?KUBE-(SRC|DST)-[A-Z2-7]{16}' | awk -v before=" $1 " -v used=" $2 " '
    !index(before, " " $0 " ") && !index(used, " " $0 " ")' || true
}
nf_sets_in_use() { # every ipset any rule on the host references now
  local f t
  for f in $(nf_families); do
    for t in "${NF_TABLES[@]}"; do "$f-save" -t "$t" 2>/dev/null; done
  done | grep -o -- '--match-set [^ ]*' | cut -d' ' -f2 | sort -u | tr '\n' ' '
}
nf_orphans() { # our orphaned kube-router sets, read from the host
  command -v ipset >/dev/null 2>&1 || return 0
  ipset list -n 2>/dev/null | nf_orphan_policy_sets \
    "$(sed -n 's/^ipset - //p' "$LEDGER_DIR/netfilter-before" | tr '\n' ' ')" "$(nf_sets_in_use)"
}

# nf_remove_ours : removes our rules, chains and ipsets from every table; prints what it removed.
nf_remove_ours() {
  local f t roots before plan sets=() s try
  [[ -f $LEDGER_DIR/netfilter-before ]] || return 0
  for f in $(nf_families); do
    for t in "${NF_TABLES[@]}"; do
      roots="${NF_ROOTS[*]} $(ledger_list chain | awk -v f="$f" -v t="$t" '$1 == f && $2 == t { printf "%s ", $3 }')"
      before=$(awk -v f="$f" -v t="$t" '$1 == f && $2 == t { printf "%s ", $3 }' "$LEDGER_DIR/netfilter-before")
      for try in 1 2 3; do # atomic per table; a concurrent change by someone else makes it retry
        plan=$("$f-save" -t "$t" 2>/dev/null | nf_plan "$roots" "$before" "$CNI_NET")
        mapfile -t -O "${#sets[@]}" sets < <(sed -n 's/^#set //p' <<<"$plan")
        plan=$(grep -v '^#' <<<"$plan" || true)
        [[ -n $plan ]] || break
        if printf '*%s\n%s\nCOMMIT\n' "$t" "$plan" | "$f-restore" -w 5 --noflush 2>/dev/null; then
          grep '^-X ' <<<"$plan" | sed "s/^-X /removed $f -t $t chain /"
          break
        fi
        ((try < 3)) || echo "FAILED to remove from $f -t $t: $(tr '\n' ';' <<<"$plan")"
      done
    done
  done
  # ipsets: the ones our rules used, and kube-router's orphans; never one that was there before.
  mapfile -t -O "${#sets[@]}" sets < <(nf_orphans)
  for s in $(printf '%s\n' "${sets[@]}" | sort -u); do
    grep -qxF "ipset - $s" "$LEDGER_DIR/netfilter-before" && continue
    ipset list -n 2>/dev/null | grep -qxF -- "$s" || continue
    if ipset destroy "$s" 2>/dev/null; then echo "removed ipset $s"; else echo "FAILED to remove ipset $s"; fi
  done
}

# nf_leftovers : what nf_remove_ours would still remove (empty when clean). Read-only.
nf_leftovers() {
  local f t roots before
  [[ -f $LEDGER_DIR/netfilter-before ]] || return 0
  for f in $(nf_families); do
    for t in "${NF_TABLES[@]}"; do
      roots="${NF_ROOTS[*]} $(ledger_list chain | awk -v f="$f" -v t="$t" '$1 == f && $2 == t { printf "%s ", $3 }')"
      before=$(awk -v f="$f" -v t="$t" '$1 == f && $2 == t { printf "%s ", $3 }' "$LEDGER_DIR/netfilter-before")
      "$f-save" -t "$t" 2>/dev/null | nf_plan "$roots" "$before" "$CNI_NET" |
        sed -n "s/^-X /$f chain: -t $t /p; s/^-D /$f rule: -t $t /p"
    done
  done
  nf_orphans | sed 's/^/ipset: /'
}
