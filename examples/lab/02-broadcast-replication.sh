#!/bin/bash
# Exercise 2: one ARP request flooded to every port, the reply forwarded to one (02-broadcast-replication.md).
source "$(dirname "$0")/lab-common.sh"
lab_host lab2host
tsnet network create --subnet 172.22.0.0/16 lab2 >/dev/null
for c in c1 c2 c3 c4; do tsnet run -d --name $c --net lab2 -- sleep 3600 >/dev/null; done
C2=$(tsnet inspect -f '{{json .NetworkSettings}}' c2 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Networks.lab2.IPAddress))')
tsnet capture lab2 -w /tmp/tsnet-lab2.pcap -c 2 arp &
CAP=$!
tsnet trace lab2 -c 2 arp and not learned &
TRACE=$!
sleep 1   # let both live views attach (a lab script, not a test)
tsnet exec c1 -- ping -c 1 "$C2" >/dev/null
wait $TRACE $CAP
echo "== the capture, dissected by tshark"
tshark -r /tmp/tsnet-lab2.pcap
cat <<MSG

Clean up:
$(lab_cleanup_hint lab2host)
MSG
