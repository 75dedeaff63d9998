# shellcheck shell=bash source-path=SCRIPTDIR
# net.sh BACKEND: loads the network library with BACKEND (native: local processes, scripts/network.sh;
# compose: containers, scripts/docker.sh). Only lib/net-BACKEND.sh knows where the nodes run; the
# hooks it defines are described at the top of lib/net-common.sh.
_net_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$_net_lib/net-common.sh"
case $1 in
native) . "$_net_lib/net-native.sh" ;;
compose) . "$_net_lib/net-compose.sh" ;;
*) die "no network backend '$1' (native or compose)" ;;
esac
. "$_net_lib/net-crypto.sh"
. "$_net_lib/net-nodes.sh"
. "$_net_lib/net-chaincode.sh"
. "$_net_lib/net-json.sh"
. "$_net_lib/net-config.sh"
. "$_net_lib/net-org.sh"
. "$_net_lib/net-backup.sh"
. "$_net_lib/net-renew.sh"
unset _net_lib
