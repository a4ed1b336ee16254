#!/usr/bin/env bash
# The toolchain's well-known entry point (a new machine starts `bash scripts/tools.sh all` first
# thing). The driver and its recipes live in local/toolchain/; this forwards to it, run or
# sourced, with the same arguments.
_tools_driver=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/local/toolchain/tools.sh
if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
  # shellcheck source=../local/toolchain/tools.sh
  source "$_tools_driver" "$@"
else
  exec bash "$_tools_driver" "$@"
fi
