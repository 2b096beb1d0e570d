#!/bin/sh
# Self-check (debug kernel): rcu_dereference() outside an RCU read-side
# critical section. lockdep prints "suspicious RCU usage" at KERN_WARNING,
# below the console's level: the scan of the script's log must find it.
. /tests/lib.sh
check "rcu: the module loads and misuses RCU" insmod /modules/wgrs_harness_check.ko rcu=1
rmmod wgrs_harness_check
