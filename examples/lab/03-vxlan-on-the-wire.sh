#!/bin/bash
# Exercise 3: a ping between two hosts over VXLAN, inner and outer views (03-vxlan-on-the-wire.md).
source "$(dirname "$0")/lab-common.sh"
# the underlay: a bridge in namespace lab3sw, hosts lab3h1 (10.210.9.1) and lab3h2 (10.210.9.2)
ip netns add lab3sw
ip -n lab3sw link add br0 type bridge
ip -n lab3sw link set br0 up
for i in 1 2; do
  ip netns add lab3h$i
  ip link add lab3ul$i netns lab3sw type veth peer name ul0 netns lab3h$i
  ip -n lab3sw link set lab3ul$i master br0 up
  ip -n lab3h$i addr add 10.210.9.$i/24 dev ul0
  ip -n lab3h$i link set ul0 up
done
lab_host lab3h2
tsnet network create -d overlay --subnet 10.88.0.0/24 --ip-range 10.88.0.128/25 -o vni=4242 --peer 10.210.9.1 lab3 >/dev/null
tsnet run -d --name b1 --net lab3 -- sleep 3600 >/dev/null
B1=$(tsnet inspect -f '{{json .NetworkSettings}}' b1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Networks.lab3.IPAddress))')
SOCK_B=$TSNET_SOCKET
lab_host lab3h1
tsnet network create -d overlay --subnet 10.88.0.0/24 --ip-range 10.88.0.0/25 -o vni=4242 --peer 10.210.9.2 lab3 >/dev/null
tsnet run -d --name a1 --net lab3 -- sleep 3600 >/dev/null
tsnet exec a1 -- ping -c 1 -W 2 "$B1" >/dev/null || true   # first contact: ARP over the overlay
tsnet capture lab3 -w /tmp/tsnet-lab3-inner.pcap -c 4 icmp &
IN=$!
tsnet capture lab3 --underlay -w /tmp/tsnet-lab3-underlay.pcap -c 4 icmp &
OUT=$!
sleep 1   # let both captures attach (a lab script, not a test)
tsnet exec a1 -- ping -c 2 "$B1"
wait $IN $OUT
echo "== peers of lab3 on host A"; tsnet peers lab3
echo "== MAC table on host A"; tsnet fdb lab3
echo "== inner frames"; tshark -r /tmp/tsnet-lab3-inner.pcap
echo "== the same frames on the underlay"; tshark -r /tmp/tsnet-lab3-underlay.pcap
cat <<MSG

Host A's socket: $TSNET_SOCKET   host B's: $SOCK_B
Clean up:
$(lab_cleanup_hint lab3h1)
$(lab_cleanup_hint lab3h2)
  ip netns del lab3sw
MSG
