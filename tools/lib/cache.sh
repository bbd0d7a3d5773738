# SPDX-License-Identifier: MIT
# Sourced by the tools that keep downloads and builds between runs: sets
# $cache, the root of every nvsvm cache. NVSVM_CACHE wins; otherwise root
# gets /var/cache/nvsvm, anyone else ${XDG_CACHE_HOME:-~/.cache}/nvsvm.
if [ -n "${NVSVM_CACHE:-}" ]; then
   cache=$NVSVM_CACHE
elif [ "$(id -u)" -eq 0 ]; then
   cache=/var/cache/nvsvm
else
   cache=${XDG_CACHE_HOME:-$HOME/.cache}/nvsvm
fi
