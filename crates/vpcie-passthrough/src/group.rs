//! Placement of all assigned functions of one host device together.
//!
//! Below an emulated Root Port (the default) the functions of a host device
//! sit on the port's secondary bus with their own function numbers (a GPU
//! at .0 and its HD Audio at .1), so drivers that look for a sibling find
//! it. A device with function 0 missing is not enumerated at all by a guest
//! (PCI 3.0 §3.2.2.3.4: software probes function 0 first), so function 0 is
//! required; the Header Type multi-function bit of every function says
//! whether there is more than one (it is only meaningful in function 0,
//! but guests read it anywhere). The RC-integrated workaround places the
//! group at one device number of bus 0 under the same rules.

use crate::bdf::Bdf;
use crate::function::{PassthroughError, PassthroughFunction, PassthroughOptions};
use crate::host::HostDevice;

/// Why functions cannot be placed together.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    /// Nothing to place.
    #[error("no function given; assign at least function 0 of a device")]
    Empty,
    /// Functions of different host devices.
    #[error(
        "{first} and {other} are functions of different devices; a group holds the functions \
         of one device (same segment, bus and device number)"
    )]
    MixedDevices {
        /// The first function given.
        first: Bdf,
        /// One from another device.
        other: Bdf,
    },
    /// The same function twice.
    #[error("{0} is given twice")]
    Duplicate(Bdf),
    /// Function 0 is missing.
    #[error(
        "{device}: function 0 is not assigned (have {have}); a guest only finds a device \
         through function 0, assign {device}.0 too"
    )]
    NoFunctionZero {
        /// The device, `DDDD:BB:DD`.
        device: String,
        /// The functions given.
        have: String,
    },
    /// A function could not be built.
    #[error(transparent)]
    Function(#[from] PassthroughError),
}

/// The assigned functions of one host device, by function number.
#[derive(Debug)]
pub struct DeviceGroup<H: HostDevice> {
    functions: Vec<PassthroughFunction<H>>,
}

impl<H: HostDevice> DeviceGroup<H> {
    /// Builds every function with `options`, the multi-function bit set
    /// when there is more than one.
    pub fn new(hosts: Vec<H>, options: PassthroughOptions) -> Result<Self, GroupError> {
        let first = hosts
            .first()
            .map(HostDevice::bdf)
            .ok_or(GroupError::Empty)?;
        let mut seen: Vec<Bdf> = Vec::with_capacity(hosts.len());
        for h in &hosts {
            let bdf = h.bdf();
            if !bdf.same_device(&first) {
                return Err(GroupError::MixedDevices { first, other: bdf });
            }
            if seen.contains(&bdf) {
                return Err(GroupError::Duplicate(bdf));
            }
            seen.push(bdf);
        }
        if !seen.iter().any(|b| b.function == 0) {
            seen.sort();
            return Err(GroupError::NoFunctionZero {
                device: first.device_string(),
                have: seen
                    .iter()
                    .map(|b| b.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let multifunction = hosts.len() > 1;
        let mut functions = Vec::with_capacity(hosts.len());
        for h in hosts {
            let o = PassthroughOptions {
                multifunction: Some(multifunction),
                ..options.clone()
            };
            functions.push(PassthroughFunction::new(h, o)?);
        }
        functions.sort_by_key(|f| f.bdf().function);
        Ok(DeviceGroup { functions })
    }

    /// The functions with their (guest and host) function numbers, ascending.
    pub fn functions(&self) -> impl Iterator<Item = (u8, &PassthroughFunction<H>)> {
        self.functions.iter().map(|f| (f.bdf().function, f))
    }

    /// Function `number`, if assigned.
    pub fn function_mut(&mut self, number: u8) -> Option<&mut PassthroughFunction<H>> {
        self.functions
            .iter_mut()
            .find(|f| f.bdf().function == number)
    }

    /// The functions, ascending by number.
    pub fn into_functions(self) -> Vec<PassthroughFunction<H>> {
        self.functions
    }

    /// A reset of the whole device (Secondary Bus Reset of the port above).
    pub fn reset(&mut self) {
        for f in &mut self.functions {
            f.reset();
        }
    }
}
