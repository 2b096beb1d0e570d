// SPDX-License-Identifier: GPL-2.0

//! The device's UDP sockets (the C driver's `socket.c`; so far binding
//! only, as there is no packet path yet): an IPv4 socket and an IPv6-only
//! socket on the same port, in the namespace the device was created in.

use crate::kapi::netdev::Net;
use crate::kapi::udp::{
    self,
    TunnelSocket, //
};
use kernel::prelude::*;

/// How often a random port is drawn again when the IPv6 socket cannot get
/// the port the IPv4 socket got (as in the C driver).
const PORT_RETRIES: u32 = 100;

/// The bound sockets of a device that is up.
pub(crate) struct Sockets {
    v4: TunnelSocket,
    _v6: Option<TunnelSocket>,
}

impl Sockets {
    /// Binds both sockets to `port` (0: a port free for both) in `net`.
    /// `EADDRINUSE` if the port is taken, as the C driver reports it.
    pub(crate) fn bind(net: &Net, port: u16) -> Result<Self> {
        let mut retries = 0;
        loop {
            let v4 = TunnelSocket::open(net, false, port).inspect_err(|e| {
                pr_debug!("could not create IPv4 socket on port {}: {:?}\n", port, e);
            })?;
            if !udp::ipv6_enabled() {
                return Ok(Self { v4, _v6: None });
            }
            match TunnelSocket::open(net, true, v4.port()) {
                Ok(v6) => return Ok(Self { v4, _v6: Some(v6) }),
                Err(e) if e == EADDRINUSE && port == 0 && retries < PORT_RETRIES => {
                    retries += 1;
                }
                Err(e) => {
                    pr_debug!("could not create IPv6 socket on port {}: {:?}\n", port, e);
                    return Err(e);
                }
            }
        }
    }

    /// The port both sockets are bound to.
    pub(crate) fn port(&self) -> u16 {
        self.v4.port()
    }
}
