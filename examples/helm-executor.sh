#!/usr/bin/env bash
# An executor for `ack-addons serve --executor command --executor-command examples/helm-executor.sh`.
# ack-addons runs it once per add-on and stage (precheck, apply, verify) with:
#   ACK_TASK_ID ACK_TASK_TYPE ACK_CLUSTER_ID ACK_KUBERNETES_VERSION ACK_STAGE
#   ACK_ADDON ACK_OPERATION (install|upgrade|uninstall|modify) ACK_FROM_VERSION ACK_TO_VERSION ACK_CONFIG
# Exit 0 means the stage succeeded; every output line becomes a task event; a stage may run again
# after a crash, so each step must be safe to repeat (helm upgrade --install is).
#
# With HELM_REPO set (a chart repository holding one chart per add-on) and a kubeconfig per cluster
# in $KUBECONFIG_DIR/$ACK_CLUSTER_ID, it really calls helm; without HELM_REPO it prints the commands
# it would run (a dry run), which is how the tests use it.
set -euo pipefail

run() {
  if [ -n "${HELM_REPO:-}" ]; then
    KUBECONFIG="${KUBECONFIG_DIR:-$HOME/.kube}/$ACK_CLUSTER_ID" "$@"
  else
    echo "dry-run: $*"
  fi
}

values=$(mktemp)
trap 'rm -f "$values"' EXIT
printf '%s' "${ACK_CONFIG:-{\}}" > "$values"

case "$ACK_STAGE" in
  precheck)
    # Nothing to change yet: only check that the target exists.
    if [ "$ACK_OPERATION" != "uninstall" ]; then
      run helm show chart "${HELM_REPO:-repo}/$ACK_ADDON" --version "$ACK_TO_VERSION"
    fi
    ;;
  apply)
    if [ "$ACK_OPERATION" = "uninstall" ]; then
      run helm uninstall "$ACK_ADDON" --namespace kube-system --ignore-not-found
    else
      run helm upgrade --install "$ACK_ADDON" "${HELM_REPO:-repo}/$ACK_ADDON" --version "$ACK_TO_VERSION" \
        --namespace kube-system --values "$values" --wait
    fi
    ;;
  verify)
    if [ "$ACK_OPERATION" != "uninstall" ]; then
      run helm status "$ACK_ADDON" --namespace kube-system
    fi
    ;;
esac
