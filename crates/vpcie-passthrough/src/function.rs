//! A passed-through function: the guest's view of a host function.
//!
//! [`PassthroughFunction::new`] reads the host's configuration space once,
//! decides every capability by the policy tables, compiles the tables into
//! the engine's per-dword masks and relinks the capability chains. After
//! that a guest access is the engine's O(1) path: the image, the masks, at
//! most one host access and at most one hook. Side effects leave as
//! [`FunctionEvent`]s for the platform and the hypervisor front end.

use std::collections::VecDeque;

use crate::bdf::Bdf;
use crate::host::{HostBar, HostDevice, HostError, LinkState, PowerState, read_config};
use crate::interrupts::{MsiLayout, MsiState, MsixChange, MsixEntry, MsixTable};
use crate::policy::hooks::*;
use crate::policy::tables::*;
use crate::policy::{self, CapRule, Decision, Layout, Placement, Treatment};
use crate::spec::*;
use vpcie_config::caps::{CapabilityList, parse_capabilities};
use vpcie_config::regs::*;
use vpcie_config::{
    Bar, BarChange, BarId, BitPolicy, ConfigHandler, ConfigSize, ConfigSpace, HookId, PolicyError,
    RegTable, RegWrite,
};
use vpcie_platform::signal::{ErrorRegs, ErrorSignal, PcieError, record_error};

/// Most warnings a function keeps; later ones are counted.
const MAX_WARNINGS: usize = 64;
/// Most events queued for the platform; later ones are counted and dropped.
const MAX_EVENTS: usize = 4096;

/// A capability named by its ID, for per-device overrides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapRef {
    /// A standard capability ID.
    Std(u8),
    /// An extended capability ID.
    Ext(u16),
}

/// What an override does to a capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverrideAction {
    /// Hide it, whatever the table says.
    Hide,
    /// Show a capability the table hides, read through from the host.
    ReadThrough,
}

/// A per-device change to the policy (reported as a warning).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapOverride {
    /// Which capability ID.
    pub cap: CapRef,
    /// What to do with it.
    pub action: OverrideAction,
}

/// How a host function is passed through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassthroughOptions {
    /// Below an emulated Root Port, or RC-integrated on bus 0.
    pub placement: Placement,
    /// xl's "permissive": guest writes to registers the tables do not know
    /// (read-through capabilities, bytes outside any capability) reach the
    /// host. Emulated registers stay emulated.
    pub permissive: bool,
    /// Forward guest D-state changes to the host (else they stay virtual).
    pub forward_power_state: bool,
    /// Pass a guest's Retrain Link (written in the emulated port above) to
    /// the host's upstream port (seed 000: a link may come up slow after a
    /// reset); else the request is ignored and the link stays as it is.
    pub forward_link_retrain: bool,
    /// The Header Type multi-function bit; `None` keeps the host's.
    pub multifunction: Option<bool>,
    /// Per-device capability overrides.
    pub overrides: Vec<CapOverride>,
}

impl Default for PassthroughOptions {
    fn default() -> Self {
        PassthroughOptions {
            placement: Placement::UnderRootPort,
            permissive: false,
            forward_power_state: true,
            forward_link_retrain: true,
            multifunction: None,
            overrides: Vec::new(),
        }
    }
}

/// Why a host function cannot be passed through.
#[derive(Debug, thiserror::Error)]
pub enum PassthroughError {
    /// The function reads all ones (or zero) as its vendor ID.
    #[error(
        "{bdf}: vendor ID reads {vendor:#06x}: the function is absent, powered off (D3cold) or \
         not readable; wake it (e.g. `echo on > /sys/bus/pci/devices/{bdf}/power/control`) or \
         check the address"
    )]
    Absent {
        /// The function.
        bdf: Bdf,
        /// What the vendor ID read.
        vendor: u16,
    },
    /// Not a Type 0 function.
    #[error(
        "{bdf}: header type {header_type:#04x} is not an endpoint (type 0); vpcie passes \
         through endpoints only — assign the devices below a bridge instead"
    )]
    NotEndpoint {
        /// The function.
        bdf: Bdf,
        /// Its header type (without the multi-function bit).
        header_type: u8,
    },
    /// An override vpcie refuses.
    #[error("{bdf}: override refused: {why}")]
    BadOverride {
        /// The function.
        bdf: Bdf,
        /// Why.
        why: String,
    },
    /// A policy table does not fit (a bug in vpcie).
    #[error("{bdf}: internal policy error (please report): {source}")]
    Policy {
        /// The function.
        bdf: Bdf,
        /// The engine's complaint.
        source: PolicyError,
    },
    /// The host backend failed.
    #[error(transparent)]
    Host(#[from] HostError),
}

/// What happened that the platform or the front end must act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionEvent {
    /// A BAR's guest mapping changed: unmap it at `old`, map the host BAR
    /// ([`PassthroughFunction::host_bar`]) at `new`.
    BarMapping {
        /// Which BAR.
        bar: BarId,
        /// Guest address before (`None`: not mapped).
        old: Option<u64>,
        /// Guest address now (`None`: not mapped).
        new: Option<u64>,
    },
    /// The guest resized a BAR through Resizable BAR (host resized too).
    BarResized {
        /// BAR index.
        bar: u8,
        /// Size before.
        old_size: u64,
        /// Size now.
        new_size: u64,
    },
    /// The guest's MSI programming changed.
    Msi(MsiState),
    /// MSI-X Enable or Function Mask changed.
    MsixControl {
        /// MSI-X Enable.
        enabled: bool,
        /// Function Mask.
        function_masked: bool,
    },
    /// An MSI-X table entry changed.
    MsixEntry {
        /// Entry index.
        index: u16,
        /// The entry now.
        entry: MsixEntry,
    },
    /// INTx Disable changed (the INTx path must honour it).
    IntxDisable(bool),
    /// The guest changed the D-state.
    PowerState {
        /// Before.
        from: PowerState,
        /// Now.
        to: PowerState,
    },
    /// The function was reset (FLR, D3hot→D0 soft reset, or platform reset).
    Reset,
}

/// One capability and what the guest sees of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapReport {
    /// Extended (0x100–0xfff) or standard.
    pub extended: bool,
    /// Offset in the host's configuration space (also the guest's).
    pub offset: u16,
    /// Capability ID.
    pub id: u16,
    /// Version (extended capabilities).
    pub version: u8,
    /// Name as lspci prints it.
    pub name: &'static str,
    /// Length in bytes.
    pub len: u16,
    /// What the guest sees.
    pub decision: Decision,
    /// Why.
    pub why: String,
}

/// A register whose guest value differs from the host's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterDiff {
    /// Offset.
    pub offset: u16,
    /// Size in bytes.
    pub size: u8,
    /// Register name.
    pub name: &'static str,
    /// The host's value.
    pub host: u32,
    /// The guest's value.
    pub guest: u32,
}

/// One entry of a Resizable BAR capability as the guest sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RebarSlot {
    ctrl: u16,
    bar: u8,
    /// Bit n: 1 MiB << n supported.
    supported: u32,
    size_index: u32,
}

/// Function state the hooks keep beside the image.
#[derive(Clone, Debug, Default)]
struct State {
    power: Option<PowerState>,
    pm: Option<u16>,
    d1: bool,
    d2: bool,
    pcie: Option<u16>,
    flr: bool,
    msi: Option<MsiLayout>,
    msi_last: MsiState,
    msix: Option<MsixTable>,
    vpd: Option<u16>,
    rebar: Vec<RebarSlot>,
    intx_disabled: bool,
    forward_power: bool,
    vpd_write_warned: bool,
    /// The multi-function bit placement asked for (kept across resets).
    multifunction: Option<bool>,
}

/// The handler the engine calls: the host behind, and the hooks.
struct Ctx<H> {
    host: H,
    bdf: Bdf,
    st: State,
    events: VecDeque<FunctionEvent>,
    dropped_events: u64,
    warnings: Vec<String>,
    dropped_warnings: u64,
}

impl<H: HostDevice> Ctx<H> {
    fn warn(&mut self, text: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(text);
        } else {
            self.dropped_warnings += 1;
        }
    }

    fn event(&mut self, e: FunctionEvent) {
        if self.events.len() < MAX_EVENTS {
            self.events.push_back(e);
        } else {
            self.dropped_events += 1;
        }
    }

    fn host_result<T>(&mut self, what: &str, r: Result<T, HostError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.warn(format!("{what}: {e}"));
                None
            }
        }
    }

    /// Returns the virtual function to its reset state (not the host).
    fn virtual_reset(&mut self, cfg: &mut ConfigSpace) {
        cfg.reset(self);
        self.st.power = self.st.pm.map(|_| PowerState::D0);
        if let Some(t) = self.st.msix.as_mut() {
            t.reset();
        }
        self.st.msi_last = MsiState::default();
        self.st.intx_disabled = false;
        for slot in &mut self.st.rebar {
            slot.size_index =
                (cfg.get_u32(slot.ctrl) & PCI_REBAR_CTRL_BAR_SIZE) >> PCI_REBAR_CTRL_BAR_SHIFT;
        }
        if let Some(mf) = self.st.multifunction {
            set_multifunction_bit(cfg, mf);
        }
        self.event(FunctionEvent::Reset);
    }

    fn hook_command(&mut self, cfg: &mut ConfigSpace) {
        let cmd = cfg.get_u16(PCI_COMMAND);
        let enable = cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
        if enable != 0 {
            let r = self.host.config_read(PCI_COMMAND, 2);
            if let Some(host_cmd) =
                self.host_result(&format!("{}: reading host Command", self.bdf), r)
            {
                let host_cmd = host_cmd as u16;
                if enable & !host_cmd != 0 {
                    let r = self
                        .host
                        .config_write(PCI_COMMAND, 2, u32::from(host_cmd | enable));
                    self.host_result(&format!("{}: enabling host decode", self.bdf), r);
                }
            }
        }
        let intx = cmd & PCI_COMMAND_INTX_DISABLE != 0;
        if intx != self.st.intx_disabled {
            self.st.intx_disabled = intx;
            self.event(FunctionEvent::IntxDisable(intx));
        }
    }

    fn hook_pm(&mut self, cfg: &mut ConfigSpace) {
        let (Some(pm), Some(old)) = (self.st.pm, self.st.power) else {
            return;
        };
        let at = pm + PCI_PM_CTRL;
        let new = PowerState::from_bits(cfg.get_u16(at));
        if new == old {
            return;
        }
        // PCI PM 1.2 §3.2.4: a write of an unsupported state is discarded.
        if (new == PowerState::D1 && !self.st.d1) || (new == PowerState::D2 && !self.st.d2) {
            let v = cfg.get_u16(at) & !PCI_PM_CTRL_STATE_MASK;
            cfg.set_u16(at, v | old.bits());
            return;
        }
        if self.st.forward_power {
            let r = self.host.set_power_state(new);
            self.host_result(&format!("{}: forwarding {new:?}", self.bdf), r);
        }
        self.st.power = Some(new);
        self.event(FunctionEvent::PowerState { from: old, to: new });
        // PCI PM 1.2 §5.4.1: D3hot to D0 without No_Soft_Reset is an
        // internal reset: the guest's configuration is lost.
        if old == PowerState::D3Hot && new == PowerState::D0 {
            let no_soft_reset = self
                .host
                .config_read(at, 2)
                .map(|v| v as u16 & PCI_PM_CTRL_NO_SOFT_RESET != 0)
                .unwrap_or(false);
            if !no_soft_reset {
                self.virtual_reset(cfg);
            }
        }
    }

    fn hook_msi(&mut self, cfg: &mut ConfigSpace) {
        let Some(layout) = self.st.msi else { return };
        let state = layout.state(|o, s| cfg.get(o, s));
        if state != self.st.msi_last {
            self.st.msi_last = state;
            self.event(FunctionEvent::Msi(state));
        }
    }

    fn hook_msix(&mut self, cfg: &mut ConfigSpace, write: RegWrite) {
        let ctrl = cfg.get_u16(write.dword_offset() + PCI_MSIX_FLAGS);
        let Some(t) = self.st.msix.as_mut() else {
            return;
        };
        let enabled = ctrl & PCI_MSIX_FLAGS_ENABLE != 0;
        let masked = ctrl & PCI_MSIX_FLAGS_MASKALL != 0;
        if (enabled, masked) != (t.enabled, t.function_masked) {
            t.enabled = enabled;
            t.function_masked = masked;
            self.event(FunctionEvent::MsixControl {
                enabled,
                function_masked: masked,
            });
        }
    }

    fn hook_devctl(&mut self, cfg: &mut ConfigSpace, write: RegWrite) {
        let flr = write.value_in_dword() & write.lanes_in_dword() & PCI_EXP_DEVCTL_BCR_FLR;
        if flr == 0 || !self.st.flr {
            return;
        }
        let r = self.host.reset();
        self.host_result(&format!("{}: Function Level Reset", self.bdf), r);
        self.virtual_reset(cfg);
    }

    fn hook_vpd(&mut self, write: RegWrite) {
        let Some(vpd) = self.st.vpd else { return };
        let lanes = write.lanes_in_dword() >> 16;
        if lanes == 0 {
            return;
        }
        let at = vpd + PCI_VPD_ADDR;
        let current = self.host.config_read(at, 2).unwrap_or(0);
        let addr = ((write.value_in_dword() >> 16) & lanes) | (current & !lanes & 0xffff);
        if addr & PCI_VPD_ADDR_F != 0 {
            if !self.st.vpd_write_warned {
                self.st.vpd_write_warned = true;
                self.warn(format!(
                    "{}: the guest asked to write VPD; vpcie never rewrites a device's VPD \
                     storage, the request was dropped",
                    self.bdf
                ));
            }
            return;
        }
        let r = self.host.config_write(at, 2, addr & PCI_VPD_ADDR_MASK);
        self.host_result(&format!("{}: VPD read request", self.bdf), r);
    }

    fn hook_rebar(&mut self, cfg: &mut ConfigSpace, write: RegWrite) {
        let dword = write.dword_offset();
        let Some(i) = self.st.rebar.iter().position(|s| s.ctrl == dword) else {
            return;
        };
        let slot = self.st.rebar[i];
        let new_index = (cfg.get_u32(dword) & PCI_REBAR_CTRL_BAR_SIZE) >> PCI_REBAR_CTRL_BAR_SHIFT;
        if new_index == slot.size_index {
            return;
        }
        let revert = |cfg: &mut ConfigSpace| {
            let v = cfg.get_u32(dword) & !PCI_REBAR_CTRL_BAR_SIZE;
            cfg.set_u32(dword, v | (slot.size_index << PCI_REBAR_CTRL_BAR_SHIFT));
        };
        let bdf = self.bdf;
        let bar = slot.bar;
        if new_index > 27 || slot.supported & (1 << new_index) == 0 {
            revert(cfg);
            self.warn(format!(
                "{bdf}: the guest asked BAR{bar} for Resizable BAR size {new_index}, which the \
                 device does not support; the size is unchanged"
            ));
            return;
        }
        // PCIe r6.x §7.8.6.3: the size changes while memory decoding is off.
        if cfg.get_u16(PCI_COMMAND) & PCI_COMMAND_MEMORY != 0 {
            revert(cfg);
            self.warn(format!(
                "{bdf}: the guest resized BAR{bar} with Memory Space enabled; the size is \
                 unchanged (clear Memory Space Enable first)"
            ));
            return;
        }
        let Some(old_bar) = cfg.bar(BarId::Bar(bar)) else {
            revert(cfg);
            return;
        };
        let new_size = 1u64 << (20 + new_index);
        let new_bar = Bar {
            size: new_size,
            ..old_bar
        };
        let r = self.host.resize_bar(bar, new_size);
        if self
            .host_result(
                &format!("{bdf}: resizing host BAR{bar} to {new_size:#x}"),
                r,
            )
            .is_none()
        {
            revert(cfg);
            return;
        }
        if let Err(e) = cfg.set_bar(BarId::Bar(bar), new_bar) {
            // The host accepted; put it back so both sides agree.
            let r = self.host.resize_bar(bar, old_bar.size);
            self.host_result(&format!("{bdf}: restoring host BAR{bar}"), r);
            revert(cfg);
            self.warn(format!(
                "{bdf}: BAR{bar} cannot take size {new_size:#x}: {e}"
            ));
            return;
        }
        self.st.rebar[i].size_index = new_index;
        self.event(FunctionEvent::BarResized {
            bar,
            old_size: old_bar.size,
            new_size,
        });
    }
}

impl<H: HostDevice> ConfigHandler for Ctx<H> {
    fn device_read(&mut self, offset: u16, size: u8) -> u32 {
        match self.host.config_read(offset, size) {
            Ok(v) => v,
            Err(e) => {
                // As an absent function answers: all ones.
                self.warn(format!("reading the host: {e}"));
                u32::MAX
            }
        }
    }

    fn device_write(&mut self, offset: u16, size: u8, value: u32) {
        let r = self.host.config_write(offset, size, value);
        self.host_result("writing the host", r);
    }

    fn on_write(&mut self, cfg: &mut ConfigSpace, hook: HookId, write: RegWrite) {
        match hook {
            HOOK_COMMAND => self.hook_command(cfg),
            HOOK_PM => self.hook_pm(cfg),
            HOOK_MSI => self.hook_msi(cfg),
            HOOK_MSIX => self.hook_msix(cfg, write),
            HOOK_DEVCTL => self.hook_devctl(cfg, write),
            HOOK_VPD => self.hook_vpd(write),
            HOOK_REBAR => self.hook_rebar(cfg, write),
            _ => {}
        }
    }

    fn on_bar_change(&mut self, _cfg: &ConfigSpace, _change: BarChange) {
        // Mappings are recomputed after each write (they also depend on the
        // D-state), see `PassthroughFunction::sync_mappings`.
    }
}

/// The guest's view of one host function.
pub struct PassthroughFunction<H: HostDevice> {
    cfg: ConfigSpace,
    ctx: Ctx<H>,
    caps: Vec<CapReport>,
    /// Tables applied, with their base, for naming and diffing registers.
    applied: Vec<(u16, RegTable)>,
    /// Extra host bits hooks may write, per dword (for the policy proof).
    hook_bits: Vec<(u16, u32)>,
    mapped: [Option<u64>; 7],
    link: Option<LinkState>,
    placement: Placement,
    options: PassthroughOptions,
    /// When a guest Retrain Link last reached the host.
    last_retrain: Option<std::time::Instant>,
}

/// The shortest time between two host link retrains a guest can cause: a
/// guest writing Retrain Link in a loop must not flap the physical link
/// (the XSA-120 class: the guest driving host link and error machinery).
pub const LINK_RETRAIN_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

impl<H: HostDevice> std::fmt::Debug for PassthroughFunction<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassthroughFunction")
            .field("bdf", &self.ctx.bdf)
            .field("placement", &self.placement)
            .field("caps", &self.caps)
            .finish_non_exhaustive()
    }
}

fn bar_id(slot: usize) -> BarId {
    if slot == 6 {
        BarId::Rom
    } else {
        BarId::Bar(slot as u8)
    }
}

impl<H: HostDevice> PassthroughFunction<H> {
    /// Builds the guest's view of `host` under `options`.
    pub fn new(mut host: H, options: PassthroughOptions) -> Result<Self, PassthroughError> {
        let bdf = host.bdf();
        let mut snapshot = read_config(&mut host);
        if snapshot.len() < PCI_CFG_SPACE_SIZE {
            // A backend that reports less than a conventional space: the
            // rest reads as from an absent function.
            snapshot.resize(PCI_CFG_SPACE_SIZE, 0xff);
        }
        let word = |o: usize| u16::from_le_bytes([snapshot[o], snapshot[o + 1]]);
        let vendor = word(0);
        if vendor == 0xffff || vendor == 0 {
            return Err(PassthroughError::Absent { bdf, vendor });
        }
        let header_type = snapshot[usize::from(PCI_HEADER_TYPE)] & PCI_HEADER_TYPE_MASK;
        if header_type != PCI_HEADER_TYPE_NORMAL {
            return Err(PassthroughError::NotEndpoint { bdf, header_type });
        }
        let caps = parse_capabilities(&snapshot);
        let size = if snapshot.len() > PCI_CFG_SPACE_SIZE {
            ConfigSize::Extended
        } else {
            ConfigSize::Conventional
        };
        let mut b = Builder {
            bdf,
            cfg: ConfigSpace::new(size),
            snapshot: &snapshot,
            applied: Vec::new(),
            warnings: Vec::new(),
            st: State {
                forward_power: options.forward_power_state,
                ..State::default()
            },
            reports: Vec::new(),
            hide_std: Vec::new(),
            hide_ext: Vec::new(),
            hook_bits: Vec::new(),
            link_state: None,
            pcie_as_rc: false,
        };
        for d in &caps.diagnostics {
            b.warnings.push(format!("{bdf}: {d}"));
        }
        for note in host.notes() {
            b.warnings.push(note);
        }
        validate_overrides(bdf, &options, &mut b.warnings)?;
        if options.permissive {
            // Bytes outside any table: read and written through (XSA-131's
            // "permissive"), until tables and hiding take them back.
            b.warnings.push(format!(
                "{bdf}: permissive: guest writes to registers the policy does not know reach \
                 the host (XSA-131); use it only for a device that needs it"
            ));
            for off in (PCI_STD_HEADER_SIZEOF..size.bytes()).step_by(4) {
                b.cfg.set_policy(
                    off as u16,
                    4,
                    BitPolicy {
                        emulated: 0,
                        writable: 0,
                        w1c: 0,
                        to_device: u32::MAX,
                    },
                );
            }
        }
        b.header(&mut host, &options)?;
        let link = b.link(&mut host, &caps, options.placement);
        b.link_state = link;
        for cap in &caps.caps {
            let rule = effective_rule(policy::std_rule(cap.id), CapRef::Std(cap.id), &options);
            b.std_cap(cap, rule, &options)?;
        }
        for cap in &caps.ext_caps {
            let rule = effective_rule(policy::ext_rule(cap.id), CapRef::Ext(cap.id), &options);
            b.ext_cap(&mut host, cap, rule, &options)?;
        }
        let hide_std = std::mem::take(&mut b.hide_std);
        let hide_ext = std::mem::take(&mut b.hide_ext);
        for w in b.cfg.hide_capabilities(&caps, &hide_std, &hide_ext) {
            b.warnings.push(format!("{bdf}: {w}"));
        }
        b.cfg.mark_reset_state();
        if b.st.pm.is_some() {
            b.st.power = Some(PowerState::D0);
        }
        let Builder {
            cfg,
            applied,
            warnings,
            st,
            reports,
            hook_bits,
            ..
        } = b;
        let mut f = PassthroughFunction {
            cfg,
            ctx: Ctx {
                host,
                bdf,
                st,
                events: VecDeque::new(),
                dropped_events: 0,
                warnings: Vec::new(),
                dropped_warnings: 0,
            },
            caps: reports,
            applied,
            hook_bits,
            mapped: [None; 7],
            link,
            placement: options.placement,
            options,
            last_retrain: None,
        };
        for w in warnings {
            f.ctx.warn(w);
        }
        Ok(f)
    }

    // -----------------------------------------------------------------
    // The guest's accesses
    // -----------------------------------------------------------------

    /// A guest configuration read of `size` bytes at `offset`.
    #[inline]
    pub fn config_read(&mut self, offset: u16, size: u8) -> u32 {
        self.cfg.read(offset, size, &mut self.ctx)
    }

    /// A guest configuration write of `size` bytes of `value` at `offset`.
    #[inline]
    pub fn config_write(&mut self, offset: u16, size: u8, value: u32) {
        self.cfg.write(offset, size, value, &mut self.ctx);
        self.sync_mappings();
    }

    /// A guest read of the MSI-X table or PBA in BAR memory (`None`: not there).
    pub fn msix_mmio_read(&self, bar: u8, offset: u64, size: u8) -> Option<u64> {
        self.ctx.st.msix.as_ref()?.mmio_read(bar, offset, size)
    }

    /// A guest write to the MSI-X table in BAR memory; `true` if it landed
    /// in the table or PBA (PBA writes are dropped).
    pub fn msix_mmio_write(&mut self, bar: u8, offset: u64, size: u8, value: u64) -> bool {
        let Some(t) = self.ctx.st.msix.as_mut() else {
            return false;
        };
        let inside = t.mmio_read(bar, offset, size).is_some();
        if let Some(MsixChange { index, entry }) = t.mmio_write(bar, offset, size, value) {
            self.ctx.event(FunctionEvent::MsixEntry { index, entry });
        }
        inside
    }

    /// Resets the function as a conventional reset from the platform
    /// (Secondary Bus Reset of the port above): the host function is reset
    /// and the guest's view returns to its initial state.
    pub fn reset(&mut self) {
        let r = self.ctx.host.reset();
        let bdf = self.ctx.bdf;
        self.ctx.host_result(&format!("{bdf}: reset"), r);
        self.ctx.virtual_reset(&mut self.cfg);
        self.sync_mappings();
    }

    /// Events since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<FunctionEvent> {
        self.ctx.events.drain(..).collect()
    }

    /// Removes the BAR mapping events from the queue (the platform reports
    /// them as its own events), leaving the others for the front end.
    pub(crate) fn take_bar_changes(&mut self) -> Vec<BarChange> {
        let mut out = Vec::new();
        let cfg = &self.cfg;
        self.ctx.events.retain(|e| match *e {
            FunctionEvent::BarMapping { bar, old, new } => {
                if let Some(info) = cfg.bar(bar) {
                    out.push(BarChange {
                        bar,
                        info,
                        old,
                        new,
                    });
                }
                false
            }
            _ => true,
        });
        out
    }

    /// Sets the Header Type multi-function bit (kept across resets).
    pub fn set_multifunction(&mut self, multifunction: bool) {
        set_multifunction_bit(&mut self.cfg, multifunction);
        self.ctx.st.multifunction = Some(multifunction);
    }

    /// Shows `link` in Link Status (the platform trained the emulated link
    /// to it); `None` (link down) leaves Link Status as it is.
    pub fn set_link_status(&mut self, link: Option<LinkState>) {
        if self.placement == Placement::RcIntegrated {
            return;
        }
        if let (Some(l), Some(pcie)) = (link, self.ctx.st.pcie) {
            write_link_status(&mut self.cfg, pcie, &l);
        }
    }

    /// Recomputes which BARs the guest has mapped: decoding in the image
    /// and the function in D0 (a function outside D0 answers memory and I/O
    /// with Unsupported Request, so its BARs must not stay mapped).
    fn sync_mappings(&mut self) {
        let d0 = matches!(self.ctx.st.power, None | Some(PowerState::D0));
        for slot in 0..7 {
            let id = bar_id(slot);
            let now = if d0 { self.cfg.bar_decoded(id) } else { None };
            if now != self.mapped[slot] {
                let old = self.mapped[slot];
                self.mapped[slot] = now;
                self.ctx.event(FunctionEvent::BarMapping {
                    bar: id,
                    old,
                    new: now,
                });
            }
        }
    }

    // -----------------------------------------------------------------
    // The link
    // -----------------------------------------------------------------

    /// The link as the guest sees it (what an emulated Root Port above
    /// should report too); `None` in the RC-integrated placement.
    pub fn link_state(&self) -> Option<LinkState> {
        match self.placement {
            Placement::RcIntegrated => None,
            Placement::UnderRootPort => self.link,
        }
    }

    /// Reads the host link again and updates the guest's Link Status.
    pub fn refresh_link(&mut self) -> Option<LinkState> {
        if self.placement == Placement::RcIntegrated {
            return None;
        }
        let r = self.ctx.host.upstream_link();
        let bdf = self.ctx.bdf;
        if let Some(Some(l)) = self.ctx.host_result(&format!("{bdf}: reading the link"), r) {
            self.link = Some(l);
            if let Some(pcie) = self.ctx.st.pcie {
                write_link_status(&mut self.cfg, pcie, &l);
            }
        }
        self.link
    }

    /// Asks the host's upstream port to retrain the link (after a reset the
    /// link may come up slower, seed 002), then reads the link again.
    pub fn request_link_retrain(&mut self) -> Result<Option<LinkState>, HostError> {
        self.ctx.host.retrain_link()?;
        Ok(self.refresh_link())
    }

    /// The guest wrote Retrain Link in the emulated port above: passed to
    /// the host when [`PassthroughOptions::forward_link_retrain`] allows,
    /// only while the host link runs below what its port supports (the
    /// slow-link-after-reset case a retrain is for), and at most once per
    /// [`LINK_RETRAIN_INTERVAL`]. A host error becomes a warning. Returns
    /// whether the host retrained.
    pub fn guest_link_retrain(&mut self) -> bool {
        if !self.options.forward_link_retrain || self.placement == Placement::RcIntegrated {
            return false;
        }
        let slow = self
            .link
            .is_some_and(|l| l.speed < l.max_speed || l.width < l.max_width);
        let recent = self
            .last_retrain
            .is_some_and(|t| t.elapsed() < LINK_RETRAIN_INTERVAL);
        if !slow || recent {
            return false;
        }
        self.last_retrain = Some(std::time::Instant::now());
        match self.request_link_retrain() {
            Ok(_) => true,
            Err(e) => {
                self.ctx
                    .warn(format!("{}: guest Retrain Link: {e}", self.ctx.bdf));
                false
            }
        }
    }

    /// The host side reports that the function detected `error`: it shows
    /// in the guest's view as the hardware would log it — Correctable or
    /// Uncorrectable Error Status (set even when masked), the First Error
    /// Pointer and Header Log for the first unmasked uncorrectable error,
    /// Device Status — and the result says which message the function sends
    /// up (none when masked or when the guest disabled reporting). To carry
    /// the message to the Root Port, report it through
    /// `vpcie_platform::Platform::inject_error` instead, which calls this.
    pub fn inject_error(&mut self, error: &PcieError) -> ErrorSignal {
        let Some(pcie) = self.ctx.st.pcie else {
            return ErrorSignal::NotSupported;
        };
        let aer = self
            .caps
            .iter()
            .find(|c| c.extended && c.id == PCI_EXT_CAP_ID_ERR && c.decision != Decision::Hidden)
            .map(|c| c.offset);
        record_error(&mut self.cfg, ErrorRegs { pcie, aer }, error)
    }

    // -----------------------------------------------------------------
    // What the function is
    // -----------------------------------------------------------------

    /// The host function's address.
    pub fn bdf(&self) -> Bdf {
        self.ctx.bdf
    }

    /// The placement chosen.
    pub fn placement(&self) -> Placement {
        self.placement
    }

    /// The options the function was built with.
    pub fn options(&self) -> &PassthroughOptions {
        &self.options
    }

    /// Every capability of the host function and what the guest sees of it.
    pub fn capabilities(&self) -> &[CapReport] {
        &self.caps
    }

    /// Warnings: malformed host configuration, guesses, refused guest
    /// requests, host errors; each names the function.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = self.ctx.warnings.clone();
        if self.ctx.dropped_warnings > 0 {
            w.push(format!(
                "{}: {} more warnings not kept",
                self.ctx.bdf, self.ctx.dropped_warnings
            ));
        }
        if self.ctx.dropped_events > 0 {
            w.push(format!(
                "{}: {} events dropped: the platform did not take them",
                self.ctx.bdf, self.ctx.dropped_events
            ));
        }
        w
    }

    /// The host backend.
    pub fn host(&self) -> &H {
        &self.ctx.host
    }

    /// The host backend, mutably (tests read a recording double's log).
    pub fn host_mut(&mut self) -> &mut H {
        &mut self.ctx.host
    }

    /// The host's BAR behind the guest's BAR `id`.
    pub fn host_bar(&self, id: BarId) -> Option<HostBar> {
        self.ctx.host.bar(id)
    }

    /// The engine's configuration space (image and compiled policy).
    pub fn config_space(&self) -> &ConfigSpace {
        &self.cfg
    }

    /// The whole configuration space as the guest reads it.
    pub fn guest_view(&mut self) -> Vec<u8> {
        self.cfg.guest_view(&mut self.ctx)
    }

    /// The guest's MSI programming, if the function has MSI.
    pub fn msi(&self) -> Option<MsiState> {
        let layout = self.ctx.st.msi?;
        Some(layout.state(|o, s| self.cfg.get(o, s)))
    }

    /// The guest's MSI-X table, if the function has MSI-X.
    pub fn msix(&self) -> Option<&MsixTable> {
        self.ctx.st.msix.as_ref()
    }

    /// The guest's MSI-X table, mutably (the interrupt path sets pending bits).
    pub fn msix_mut(&mut self) -> Option<&mut MsixTable> {
        self.ctx.st.msix.as_mut()
    }

    /// The guest's D-state (`None` without Power Management).
    pub fn power_state(&self) -> Option<PowerState> {
        self.ctx.st.power
    }

    /// Sets AER status bits in the guest's view, nothing else (no Header
    /// Log, Device Status or message; see [`Self::inject_error`] and
    /// `vpcie_platform::Platform::inject_error` for the hardware's whole
    /// sequence); `false` if AER is not visible.
    pub fn report_aer(&mut self, uncorrectable: u32, correctable: u32) -> bool {
        let Some(aer) = self
            .caps
            .iter()
            .find(|c| c.extended && c.id == PCI_EXT_CAP_ID_ERR && c.decision != Decision::Hidden)
            .map(|c| c.offset)
        else {
            return false;
        };
        self.cfg.set_bits(
            aer + PCI_ERR_UNCOR_STATUS,
            4,
            uncorrectable & PCI_ERR_UNC_DEFINED,
        );
        self.cfg.set_bits(
            aer + PCI_ERR_COR_STATUS,
            4,
            correctable & PCI_ERR_COR_DEFINED,
        );
        true
    }

    /// The host bits a guest write to the dword at `offset` may change: the
    /// tables' `to_device` bits plus what hooks declare in [`HOOKS`].
    pub fn host_write_mask(&self, offset: u16) -> u32 {
        let dword = offset & !3;
        let table = self.cfg.policy(dword).map_or(0, |p| p.to_device);
        let hooks = self
            .hook_bits
            .iter()
            .filter(|(d, _)| *d == dword)
            .fold(0, |acc, (_, m)| acc | m);
        table | hooks
    }

    /// Registers whose guest value differs from the host's, for every
    /// register of the tables applied (reads the host).
    pub fn differences(&mut self) -> Vec<RegisterDiff> {
        let mut out = Vec::new();
        for (base, table) in self.applied.clone() {
            for reg in table {
                let offset = base + reg.offset;
                let guest = self.cfg.read(offset, reg.size, &mut self.ctx);
                let Ok(host) = self.ctx.host.config_read(offset, reg.size) else {
                    continue;
                };
                if guest != host {
                    out.push(RegisterDiff {
                        offset,
                        size: reg.size,
                        name: reg.name,
                        host,
                        guest,
                    });
                }
            }
        }
        out.sort_by_key(|d| d.offset);
        out
    }
}

/// Applies per-device overrides to a rule.
fn effective_rule(rule: CapRule, cap: CapRef, options: &PassthroughOptions) -> CapRule {
    let mut r = rule;
    for o in options.overrides.iter().filter(|o| o.cap == cap) {
        match o.action {
            OverrideAction::Hide => {
                r.decision = Decision::Hidden;
                r.treatment = Treatment::Hide;
                r.why = "hidden by a per-device override";
            }
            OverrideAction::ReadThrough => {
                r.decision = Decision::Passthrough;
                r.treatment = Treatment::ReadThrough;
                r.why = "shown read-through by a per-device override";
            }
        }
    }
    if options.placement == Placement::RcIntegrated && r.link_only {
        r.decision = Decision::Hidden;
        r.treatment = Treatment::Hide;
        r.why = "describes a link; an RC-integrated endpoint has none";
    }
    r
}

/// Checks overrides; read-through may not replace an emulated capability.
fn validate_overrides(
    bdf: Bdf,
    options: &PassthroughOptions,
    warnings: &mut Vec<String>,
) -> Result<(), PassthroughError> {
    for o in &options.overrides {
        let (rule, name) = match o.cap {
            CapRef::Std(id) => (
                policy::std_rule(id),
                format!(
                    "capability {id:#04x} ({})",
                    vpcie_config::caps::cap_name(id)
                ),
            ),
            CapRef::Ext(id) => (
                policy::ext_rule(id),
                format!(
                    "extended capability {id:#06x} ({})",
                    vpcie_config::caps::ext_cap_name(id)
                ),
            ),
        };
        if o.action == OverrideAction::ReadThrough && matches!(rule.treatment, Treatment::Table(_))
        {
            return Err(PassthroughError::BadOverride {
                bdf,
                why: format!(
                    "{name} is emulated by vpcie ({}); reading it through would hand the guest \
                     host state it must not see; remove the override",
                    rule.why
                ),
            });
        }
        warnings.push(format!(
            "{bdf}: override: {name} {} instead of {} ({})",
            match o.action {
                OverrideAction::Hide => "hidden",
                OverrideAction::ReadThrough => "read through",
            },
            rule.decision,
            rule.why
        ));
    }
    Ok(())
}

/// Sets or clears the Header Type multi-function bit.
fn set_multifunction_bit(cfg: &mut ConfigSpace, mf: bool) {
    let ht = cfg.get_u8(PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
    cfg.set_u8(
        PCI_HEADER_TYPE,
        ht | if mf { PCI_HEADER_TYPE_MFD } else { 0 },
    );
}

/// Writes the current link speed and width into Link Status.
fn write_link_status(cfg: &mut ConfigSpace, pcie: u16, link: &LinkState) {
    let at = pcie + PCI_EXP_LNKSTA;
    let keep = cfg.get_u16(at) & PCI_EXP_LNKSTA_SLC;
    let v = keep
        | u16::from(link.speed) & PCI_EXP_LNKSTA_CLS
        | (u16::from(link.width) << PCI_EXP_LNKSTA_NLW_SHIFT) & PCI_EXP_LNKSTA_NLW;
    cfg.set_u16(at, v);
}

/// The state of building a function.
struct Builder<'a> {
    bdf: Bdf,
    cfg: ConfigSpace,
    snapshot: &'a [u8],
    applied: Vec<(u16, RegTable)>,
    warnings: Vec<String>,
    st: State,
    reports: Vec<CapReport>,
    hide_std: Vec<u16>,
    hide_ext: Vec<u16>,
    hook_bits: Vec<(u16, u32)>,
    /// The link the function's Link Status mirrors.
    link_state: Option<LinkState>,
    /// The PCI Express capability got the RC-integrated table.
    pcie_as_rc: bool,
}

impl Builder<'_> {
    fn byte(&self, o: u16) -> u8 {
        self.snapshot.get(usize::from(o)).copied().unwrap_or(0xff)
    }

    fn word(&self, o: u16) -> u16 {
        u16::from_le_bytes([self.byte(o), self.byte(o.saturating_add(1))])
    }

    fn dword(&self, o: u16) -> u32 {
        u32::from(self.word(o)) | (u32::from(self.word(o.saturating_add(2))) << 16)
    }

    /// Copies the host's bytes `offset..offset + len` into the image.
    fn load(&mut self, offset: u16, len: u16) {
        let start = usize::from(offset).min(self.snapshot.len());
        let end = (usize::from(offset) + usize::from(len)).min(self.snapshot.len());
        self.cfg.load_image(offset, &self.snapshot[start..end]);
    }

    fn apply(&mut self, base: u16, table: RegTable) -> Result<(), PassthroughError> {
        self.cfg
            .apply(base, table)
            .map_err(|source| PassthroughError::Policy {
                bdf: self.bdf,
                source,
            })?;
        self.applied.push((base, table));
        for reg in table {
            let Some(hook) = reg.hook else { continue };
            let dword = (base + reg.offset) & !3;
            match hook_spec(hook).map(|h| h.host_bits) {
                Some(HostBits::Header { dword: d, mask }) if d == dword => {
                    self.hook_bits.push((dword, mask));
                }
                Some(HostBits::CapDword0 { mask }) if dword == base => {
                    self.hook_bits.push((dword, mask));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn header<H: HostDevice>(
        &mut self,
        host: &mut H,
        options: &PassthroughOptions,
    ) -> Result<(), PassthroughError> {
        self.load(0, PCI_STD_HEADER_SIZEOF as u16);
        self.apply(0, TYPE0_HEADER)?;
        if let Some(mf) = options.multifunction {
            set_multifunction_bit(&mut self.cfg, mf);
            self.st.multifunction = Some(mf);
        }
        let bdf = self.bdf;
        let mut slot = 0;
        while slot < 7 {
            let id = bar_id(slot);
            let Some(hb) = host.bar(id) else {
                slot += 1;
                continue;
            };
            match self.cfg.set_bar(id, hb.bar) {
                Ok(()) => {}
                Err(e) => self.warnings.push(format!(
                    "{bdf}: {id} as the host describes it cannot be emulated ({e}); the guest \
                     sees no {id}"
                )),
            }
            slot += if hb.bar.kind == vpcie_config::BarKind::Memory64 {
                2
            } else {
                1
            };
        }
        Ok(())
    }

    /// The link above the function: the host's upstream port, else the
    /// function's own Link Status.
    fn link<H: HostDevice>(
        &mut self,
        host: &mut H,
        caps: &CapabilityList,
        placement: Placement,
    ) -> Option<LinkState> {
        if placement == Placement::RcIntegrated {
            return None;
        }
        let cap = caps.find(vpcie_config::caps::CapId::PciExpress)?;
        let from_host = match host.upstream_link() {
            Ok(l) => l,
            Err(e) => {
                self.warnings.push(format!("reading the link: {e}"));
                None
            }
        };
        let own = LinkState::from_registers(
            self.dword(cap.offset + PCI_EXP_LNKCAP),
            self.word(cap.offset + PCI_EXP_LNKSTA),
            if cap.len >= PCI_EXP_LNKCAP2 + 4 {
                self.dword(cap.offset + PCI_EXP_LNKCAP2)
            } else {
                0
            },
        );
        let l = from_host.unwrap_or(own);
        if l.speed == 0 || l.width == 0 {
            // No link to mirror (an integrated function shown below a Root
            // Port): the smallest real link, 2.5 GT/s x1.
            Some(LinkState {
                speed: 1,
                width: 1,
                max_speed: 1,
                max_width: 1,
                supported_speeds: 0b10,
                training: false,
                dll_active: true,
            })
        } else {
            Some(l)
        }
    }

    /// Hides a capability the policy would show, for a reason found while building.
    fn refuse(&mut self, extended: bool, offset: u16, name: &str, why: String) {
        self.warnings.push(format!(
            "{}: {name} at {offset:#05x}: {why}; vpcie hides it",
            self.bdf
        ));
        if extended {
            self.hide_ext.push(offset);
        } else {
            self.hide_std.push(offset);
        }
    }

    /// Makes `offset..offset + len` read from the host (written too if permissive).
    fn read_through(&mut self, offset: u16, len: u16, permissive: bool) {
        let policy = BitPolicy {
            emulated: 0,
            writable: 0,
            w1c: 0,
            to_device: if permissive { u32::MAX } else { 0 },
        };
        for o in offset..offset.saturating_add(len) {
            self.cfg.set_policy(o, 1, policy);
        }
    }

    fn std_cap(
        &mut self,
        cap: &vpcie_config::caps::Capability,
        rule: CapRule,
        options: &PassthroughOptions,
    ) -> Result<(), PassthroughError> {
        let name = cap.name();
        let mut decision = rule.decision;
        let mut why = rule.why.to_string();
        match rule.treatment {
            Treatment::Hide => self.hide_std.push(cap.offset),
            Treatment::ReadThrough => {
                if cap.len < 2 {
                    self.refuse(false, cap.offset, name, "too short".into());
                    decision = Decision::Hidden;
                } else {
                    self.load(cap.offset, 2);
                    self.apply(cap.offset, READ_THROUGH_CAP)?;
                    self.read_through(cap.offset + 2, cap.len - 2, options.permissive);
                }
            }
            Treatment::Table(layout) => {
                let table = match layout {
                    Layout::Fixed(t) => t,
                    Layout::Msi => policy::msi_table(self.word(cap.offset + PCI_MSI_FLAGS)),
                    Layout::PciExpress => self.pcie_table(cap, options.placement, &mut why),
                    Layout::ResizableBar => READ_THROUGH_CAP,
                };
                let extent = policy::table_extent(table);
                if extent > cap.len {
                    let w = format!(
                        "its layout needs {extent:#x} bytes but only {:#x} fit before the next \
                         capability or the end",
                        cap.len
                    );
                    self.refuse(false, cap.offset, name, w.clone());
                    decision = Decision::Hidden;
                    why = w;
                } else {
                    self.load(cap.offset, cap.len);
                    self.apply(cap.offset, table)?;
                    if let Err(w) = self.std_fixups(cap, options, &mut why) {
                        self.refuse(false, cap.offset, name, w.clone());
                        decision = Decision::Hidden;
                        why = w;
                    }
                }
            }
        }
        self.reports.push(CapReport {
            extended: false,
            offset: cap.offset,
            id: u16::from(cap.id),
            version: 0,
            name,
            len: cap.len,
            decision,
            why,
        });
        Ok(())
    }

    fn pcie_table(
        &mut self,
        cap: &vpcie_config::caps::Capability,
        placement: Placement,
        why: &mut String,
    ) -> RegTable {
        let flags = self.word(cap.offset + PCI_EXP_FLAGS);
        let version = (flags & PCI_EXP_FLAGS_VERS) as u8;
        let port_type = ((flags & PCI_EXP_FLAGS_TYPE) >> PCI_EXP_FLAGS_TYPE_SHIFT) as u8;
        if placement == Placement::UnderRootPort && version < 2 && port_type == PCI_EXP_TYPE_RC_END
        {
            // A version 1 RCiEP capability has no room for link registers.
            *why = "the host function is an RCiEP with a version 1 capability (no link \
                    registers); shown as an RCiEP"
                .into();
            self.warnings.push(format!(
                "{}: PCI Express capability version 1 of an RC-integrated endpoint has no link \
                 registers; the guest sees it as an RCiEP below the Root Port",
                self.bdf
            ));
            self.pcie_as_rc = true;
            return policy::pcie_table(version, Placement::RcIntegrated);
        }
        self.pcie_as_rc = placement == Placement::RcIntegrated;
        policy::pcie_table(version, placement)
    }

    fn std_fixups(
        &mut self,
        cap: &vpcie_config::caps::Capability,
        options: &PassthroughOptions,
        why: &mut String,
    ) -> Result<(), String> {
        let bdf = self.bdf;
        match cap.cap_id() {
            Some(vpcie_config::caps::CapId::PowerManagement) => {
                let pmc = self.word(cap.offset + PCI_PM_PMC);
                self.st.pm = Some(cap.offset);
                self.st.d1 = pmc & 0x0200 != 0;
                self.st.d2 = pmc & 0x0400 != 0;
            }
            Some(vpcie_config::caps::CapId::Msi) => {
                self.st.msi = Some(MsiLayout::new(
                    cap.offset,
                    self.word(cap.offset + PCI_MSI_FLAGS),
                ));
            }
            Some(vpcie_config::caps::CapId::MsiX) => {
                let table = MsixTable::new(
                    self.word(cap.offset + PCI_MSIX_FLAGS),
                    self.dword(cap.offset + PCI_MSIX_TABLE),
                    self.dword(cap.offset + PCI_MSIX_PBA),
                );
                for (what, r) in [("table", table.table_range()), ("PBA", table.pba_range())] {
                    let ok = r.bar < 6
                        && self.cfg.bar(BarId::Bar(r.bar)).is_some_and(|b| {
                            b.kind != vpcie_config::BarKind::Io && b.size >= r.offset + r.len
                        });
                    if !ok {
                        // The guest could enable MSI-X but never reach its
                        // table; without the capability it uses MSI or INTx.
                        return Err(format!(
                            "the MSI-X {what} (BAR{} offset {:#x}, {:#x} bytes) is not inside a \
                             memory BAR the guest sees",
                            r.bar, r.offset, r.len
                        ));
                    }
                }
                self.st.msix = Some(table);
            }
            Some(vpcie_config::caps::CapId::Vpd) => self.st.vpd = Some(cap.offset),
            Some(vpcie_config::caps::CapId::PciExpress) => {
                self.st.pcie = Some(cap.offset);
                self.st.flr = self.dword(cap.offset + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLR != 0;
                let flags_at = cap.offset + PCI_EXP_FLAGS;
                let port_type = ((self.cfg.get_u16(flags_at) & PCI_EXP_FLAGS_TYPE)
                    >> PCI_EXP_FLAGS_TYPE_SHIFT) as u8;
                if options.placement == Placement::UnderRootPort
                    && !matches!(
                        port_type,
                        PCI_EXP_TYPE_ENDPOINT | PCI_EXP_TYPE_LEG_END | PCI_EXP_TYPE_RC_END
                    )
                {
                    self.warnings.push(format!(
                        "{bdf}: Device/Port Type {port_type} is not an endpoint's; the guest \
                         sees an Endpoint"
                    ));
                }
                if options.placement == Placement::UnderRootPort && !self.pcie_as_rc {
                    if port_type != PCI_EXP_TYPE_ENDPOINT && port_type != PCI_EXP_TYPE_LEG_END {
                        // Below a Root Port only an Endpoint is valid (PCIe r6.x §7.5.3.2).
                        let v =
                            self.cfg.get_u16(flags_at) & !(PCI_EXP_FLAGS_TYPE | PCI_EXP_FLAGS_SLOT);
                        self.cfg.set_u16(flags_at, v);
                        *why = format!("{}; the host's type {port_type} is shown as Endpoint", why);
                    }
                    self.cfg
                        .clear_bits(flags_at, 2, u32::from(PCI_EXP_FLAGS_SLOT));
                    self.link_fixup(cap.offset, cap.len);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Link registers of an Endpoint consistent with the link it mirrors.
    fn link_fixup(&mut self, pcie: u16, len: u16) {
        let Some(link) = self.link_cache() else {
            return;
        };
        let host_lnkcap = self.dword(pcie + PCI_EXP_LNKCAP);
        if host_lnkcap & (PCI_EXP_LNKCAP_SLS | PCI_EXP_LNKCAP_MLW) == 0 {
            // No host link registers (an integrated function): describe the
            // mirrored link, without ASPM.
            let cap = u32::from(link.max_speed) & PCI_EXP_LNKCAP_SLS
                | (u32::from(link.max_width) << PCI_EXP_LNKCAP_MLW_SHIFT) & PCI_EXP_LNKCAP_MLW;
            self.cfg.set_u32(pcie + PCI_EXP_LNKCAP, cap);
            if len >= PCI_EXP_LNKCAP2 + 4 {
                self.cfg.set_u32(
                    pcie + PCI_EXP_LNKCAP2,
                    u32::from(link.supported_speeds) & PCI_EXP_LNKCAP2_SLS,
                );
            }
        }
        write_link_status(&mut self.cfg, pcie, &link);
    }

    fn link_cache(&self) -> Option<LinkState> {
        self.link_state
    }

    fn ext_cap<H: HostDevice>(
        &mut self,
        host: &mut H,
        cap: &vpcie_config::caps::ExtCapability,
        rule: CapRule,
        options: &PassthroughOptions,
    ) -> Result<(), PassthroughError> {
        let name = cap.name();
        let mut decision = rule.decision;
        let mut why = rule.why.to_string();
        match rule.treatment {
            Treatment::Hide => self.hide_ext.push(cap.offset),
            Treatment::ReadThrough => {
                if cap.len < 4 {
                    self.refuse(true, cap.offset, name, "too short".into());
                    decision = Decision::Hidden;
                } else {
                    self.load(cap.offset, 4);
                    self.apply(cap.offset, READ_THROUGH_EXT_CAP)?;
                    self.read_through(cap.offset + 4, cap.len - 4, options.permissive);
                }
            }
            Treatment::Table(Layout::ResizableBar) => {
                if let Err(w) = self.rebar(host, cap) {
                    self.refuse(true, cap.offset, name, w.clone());
                    decision = Decision::Hidden;
                    why = w;
                }
            }
            Treatment::Table(layout) => {
                let table = match layout {
                    Layout::Fixed(t) => t,
                    _ => READ_THROUGH_EXT_CAP,
                };
                let extent = policy::table_extent(table);
                if extent > cap.len {
                    let w = format!(
                        "its layout needs {extent:#x} bytes but only {:#x} fit",
                        cap.len
                    );
                    self.refuse(true, cap.offset, name, w.clone());
                    decision = Decision::Hidden;
                    why = w;
                } else {
                    self.load(cap.offset, cap.len);
                    self.apply(cap.offset, table)?;
                }
            }
        }
        self.reports.push(CapReport {
            extended: true,
            offset: cap.offset,
            id: cap.id,
            version: cap.version,
            name,
            len: cap.len,
            decision,
            why,
        });
        Ok(())
    }

    /// Emulates a Resizable BAR capability fully, or says why it cannot:
    /// a read-only one is worse than none (guests assume a resize worked).
    fn rebar<H: HostDevice>(
        &mut self,
        host: &mut H,
        cap: &vpcie_config::caps::ExtCapability,
    ) -> Result<(), String> {
        let first_ctrl = self.dword(cap.offset + PCI_REBAR_CTRL);
        let nbars = ((first_ctrl & PCI_REBAR_CTRL_NBAR_MASK) >> PCI_REBAR_CTRL_NBAR_SHIFT) as u16;
        let room = cap.len.saturating_sub(4) / PCI_REBAR_ENTRY_SIZEOF;
        if nbars == 0 || nbars > 6 || nbars > room {
            return Err(format!(
                "it lists {nbars} BARs, which does not fit its {:#x} bytes (1 to 6 expected)",
                cap.len
            ));
        }
        let mut slots = Vec::new();
        for i in 0..nbars {
            let base = cap.offset + 4 + i * PCI_REBAR_ENTRY_SIZEOF;
            let capreg = self.dword(base);
            let ctrl = self.dword(base + 4);
            let bar = (ctrl & PCI_REBAR_CTRL_BAR_IDX) as u8;
            let size_index = (ctrl & PCI_REBAR_CTRL_BAR_SIZE) >> PCI_REBAR_CTRL_BAR_SHIFT;
            let supported = (capreg & PCI_REBAR_CAP_SIZES) >> 4;
            let Some(vbar) = self.cfg.bar(BarId::Bar(bar)).filter(|_| bar < 6) else {
                return Err(format!(
                    "its entry {i} names BAR{bar}, which the guest does not see"
                ));
            };
            if size_index > 27 || vbar.size != 1u64 << (20 + size_index) {
                return Err(format!(
                    "BAR{bar} is {:#x} bytes but the capability says size {size_index}",
                    vbar.size
                ));
            }
            if !host.can_resize_bar(bar) {
                return Err(format!(
                    "the host backend cannot resize BAR{bar} (read-only, or no \
                     resource{bar}_resize); a read-only Resizable BAR is worse than none"
                ));
            }
            slots.push(RebarSlot {
                ctrl: base + 4,
                bar,
                supported,
                size_index,
            });
        }
        self.load(cap.offset, cap.len);
        self.apply(cap.offset, RESIZABLE_BAR)
            .map_err(|e| e.to_string())?;
        for i in 0..nbars {
            self.apply(
                cap.offset + 4 + i * PCI_REBAR_ENTRY_SIZEOF,
                RESIZABLE_BAR_ENTRY,
            )
            .map_err(|e| e.to_string())?;
        }
        self.st.rebar = slots;
        Ok(())
    }
}
