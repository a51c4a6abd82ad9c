#!/bin/bash
# Exercise 1: the MAC table fills in as containers talk (see 01-learning-and-aging.md).
source "$(dirname "$0")/lab-common.sh"
lab_host lab1host --dashboard 127.0.0.1:9524
tsnet network create --subnet 172.21.0.0/16 lab1 >/dev/null
tsnet run -d --name rose --net lab1 -- sleep 3600 >/dev/null
tsnet run -d --name lily --net lab1 -- sleep 3600 >/dev/null
LILY=$(tsnet inspect -f '{{json .NetworkSettings}}' lily | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Networks.lab1.IPAddress))')
echo "== MAC table before any ping"; tsnet fdb lab1
echo "== rose pings lily ($LILY)"; tsnet exec rose -- ping -c 2 "$LILY"
echo "== MAC table after"; tsnet fdb lab1
echo "== the switch's counters"; tsnet stats lab1 | head -30
cat <<MSG

Now explore (TSNET_SOCKET=$TSNET_SOCKET):
  tsnet trace lab1                      # live, one line per frame
  tsnet exec rose -- ping -c 3 $LILY     # in another terminal
  ip netns exec lab1host curl -s 127.0.0.1:9524/api/state | head -c 400   # the dashboard's data
Clean up:
$(lab_cleanup_hint lab1host)
MSG
