// SPDX-License-Identifier: GPL-2.0

//! The WireGuard network device: its link kind, its per-device state and
//! its `net_device_ops` (the C driver's `device.c`).

use crate::kapi::netdev::{
    LinkDriver,
    NetDevice,
    NetDeviceSetup, //
};
use crate::kapi::skb::SkBuff;
use crate::messages::{
    MESSAGE_MINIMUM_LENGTH,
    MESSAGE_PADDING_MULTIPLE, //
};
use crate::noise::StaticIdentity;
use kernel::{
    new_mutex,
    prelude::*,
    sync::{
        Mutex,
        MutexGuard, //
    },
};

/// Bytes WireGuard adds around a packet in the worst case: the message
/// header and tag, a UDP header and an IPv6 header (the larger of the two IP
/// headers).
const OVERHEAD: u32 = MESSAGE_MINIMUM_LENGTH + 8 + 40;

/// Default MTU: an Ethernet frame's payload less our overhead (1420).
pub(crate) const DEFAULT_MTU: u32 = 1500 - OVERHEAD;

/// Largest MTU: the largest padded length an `int` holds, less the overhead.
pub(crate) const MAX_MTU: u32 =
    (i32::MAX as u32 / MESSAGE_PADDING_MULTIPLE) * MESSAGE_PADDING_MULTIPLE - OVERHEAD;

/// What a device is configured with, guarded by its update lock (the C
/// driver's `device_update_lock` and the fields it protects).
pub(crate) struct Config {
    /// Generation of the configuration, bumped on every change; dumps use
    /// it to tell userspace when a multi-part dump saw a change.
    pub(crate) update_gen: u32,
    /// Our static key pair.
    pub(crate) identity: StaticIdentity,
    /// UDP port we listen on; 0 while no socket is bound.
    pub(crate) listen_port: u16,
    /// Mark put on outgoing UDP packets; 0 for none.
    pub(crate) fwmark: u32,
}

/// The state of one WireGuard interface, kept in its `net_device`.
#[pin_data]
pub(crate) struct Device {
    #[pin]
    config: Mutex<Config>,
}

impl Device {
    /// Takes the update lock.
    pub(crate) fn config(&self) -> MutexGuard<'_, Config> {
        self.config.lock()
    }
}

impl LinkDriver for Device {
    fn setup(dev: &mut NetDeviceSetup<'_>) {
        dev.set_point_to_point_l3();
        dev.set_wireguard_devtype();
        dev.set_mtu(DEFAULT_MTU, MAX_MTU);
        dev.use_tstats();
    }

    fn newlink(dev: &NetDevice) -> impl PinInit<Self, Error> {
        pr_debug!(
            "{}: interface created\n",
            dev.name().to_str().unwrap_or("?")
        );
        try_pin_init!(Device {
            config <- new_mutex!(
                Config {
                    update_gen: 1,
                    identity: StaticIdentity::new(),
                    listen_port: 0,
                    fwmark: 0,
                },
                "wireguard_rs_device_update"
            ),
        }? Error)
    }

    fn open(_dev: &NetDevice, _this: &Self) -> Result {
        Ok(())
    }

    fn stop(_dev: &NetDevice, _this: &Self) -> Result {
        Ok(())
    }

    fn start_xmit(dev: &NetDevice, _this: &Self, skb: SkBuff) {
        // No peers can be configured yet, so there is nobody to send to: the
        // C driver counts a packet without a peer as a transmit error.
        dev.count_tx_error();
        drop(skb);
    }
}
