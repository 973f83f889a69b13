#!/bin/bash
# three 60 s windows of the bare select loop at N=10,000 (and 5,000), 60 s apart
for w in 1 2 3; do
  date +%T
  timeout 60 ./probe 10000 100000 > w$w.10000.txt
  timeout 30 ./probe 5000 100000 > w$w.5000.txt
  sleep 45
done
