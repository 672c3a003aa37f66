//! The control channel of a served segment: what the host side asks while
//! the guest runs — put a card into a hot-plug slot, take it out, report an
//! error or a wake-up of a function — as one-line text requests
//! (`vpcie ctl` sends them to `vpcie serve --control SOCKET`).
//!
//! Requests name ports by their config names (`rp2`, `sw0.1`) and functions
//! by the address the guest reaches them at now (`0001:03:00.0`). A removal
//! that is not a surprise presses the slot's attention button, as a person
//! at the machine would; the card leaves once the guest powers the slot off
//! ([`Control::after_guest`] sees to it), so the guest's hot-plug driver
//! finishes with the device before it goes.

use crate::segment::{Layout, NamedPort, SegmentDispatch, card};
use crate::xl::{Pos, pci};
use vpcie_platform::spec::*;
use vpcie_platform::{Delivery, Devfn, ErrorSeverity, FunctionId, PcieError, PmeSignal};

/// Longest request line accepted, in bytes.
pub const MAX_REQUEST: usize = 8192;
/// Most functions a hot-added card has.
const MAX_CARD_FUNCTIONS: usize = 8;

/// The requests, for `help` and error messages.
pub const USAGE: &str = "requests: `add PORT ENTRY...` (ENTRY: a vpcie_pci entry, e.g. 0000:05:00.0,dump=FILE), \
`remove PORT [surprise]`, `aer BDF correctable|uncorrectable [NAME|0xBIT]`, `pme BDF`, `status`";

/// One request of the control channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Put a card (its functions, `vpcie_pci` entries) into the slot of a port.
    Add {
        /// The port's config name.
        port: String,
        /// The card's functions.
        entries: Vec<pci::PciDevice>,
    },
    /// Take the card out of a port's slot: by its attention button (the
    /// guest lets go first), or at once (`surprise`).
    Remove {
        /// The port's config name.
        port: String,
        /// Pull it out whatever the guest is doing.
        surprise: bool,
    },
    /// A function detects an error.
    Aer {
        /// Where the guest reaches it: (segment, bus, devfn).
        function: (u16, u8, Devfn),
        /// The error.
        error: PcieError,
    },
    /// A function wakes (PME).
    Pme {
        /// Where the guest reaches it.
        function: (u16, u8, Devfn),
    },
    /// The ports, their slots and what waits for the guest.
    Status,
}

/// Correctable error names (the AER Correctable Error Status bits).
const CORRECTABLE: &[(&str, u32)] = &[
    ("receiver-error", PCI_ERR_COR_RCVR),
    ("bad-tlp", PCI_ERR_COR_BAD_TLP),
    ("bad-dllp", PCI_ERR_COR_BAD_DLLP),
    ("replay-rollover", PCI_ERR_COR_REP_ROLL),
    ("replay-timeout", PCI_ERR_COR_REP_TIMER),
    ("advisory-non-fatal", PCI_ERR_COR_ADV_NFAT),
    ("corrected-internal", PCI_ERR_COR_INTERNAL),
    ("header-log-overflow", PCI_ERR_COR_LOG_OVER),
];

/// Uncorrectable error names (the AER Uncorrectable Error Status bits).
const UNCORRECTABLE: &[(&str, u32)] = &[
    ("data-link-protocol", PCI_ERR_UNC_DLP),
    ("surprise-down", PCI_ERR_UNC_SURPDN),
    ("poisoned-tlp", PCI_ERR_UNC_POISON_TLP),
    ("flow-control-protocol", PCI_ERR_UNC_FCP),
    ("completion-timeout", PCI_ERR_UNC_COMP_TIME),
    ("completer-abort", PCI_ERR_UNC_COMP_ABORT),
    ("unexpected-completion", PCI_ERR_UNC_UNX_COMP),
    ("receiver-overflow", PCI_ERR_UNC_RX_OVER),
    ("malformed-tlp", PCI_ERR_UNC_MALF_TLP),
    ("ecrc", PCI_ERR_UNC_ECRC),
    ("unsupported-request", PCI_ERR_UNC_UNSUP),
    ("acs-violation", PCI_ERR_UNC_ACSV),
    ("uncorrectable-internal", PCI_ERR_UNC_INTN),
    ("mc-blocked-tlp", PCI_ERR_UNC_MCBTLP),
    ("atomicop-egress-blocked", PCI_ERR_UNC_ATOMEG),
    ("tlp-prefix-blocked", PCI_ERR_UNC_TLPPRE),
];

fn functions(n: usize) -> String {
    if n == 1 {
        "1 function".to_string()
    } else {
        format!("{n} functions")
    }
}

fn names(table: &[(&str, u32)]) -> String {
    table.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

fn parse_error(class: &str, which: Option<&str>) -> Result<PcieError, String> {
    let (table, default, make): (_, _, fn(u32) -> PcieError) = match class {
        "correctable" | "cor" => (CORRECTABLE, PCI_ERR_COR_BAD_TLP, PcieError::correctable),
        "uncorrectable" | "uncor" => (
            UNCORRECTABLE,
            PCI_ERR_UNC_COMP_TIME,
            PcieError::uncorrectable,
        ),
        _ => {
            return Err(format!(
                "`{class}`: the error class is `correctable` or `uncorrectable`"
            ));
        }
    };
    let bit = match which {
        None => default,
        Some(w) => match w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
            Some(hex) => u32::from_str_radix(hex, 16)
                .map_err(|_| format!("`{w}` is not a hex status bit"))?,
            None => table
                .iter()
                .find(|(n, _)| *n == w)
                .map(|(_, b)| *b)
                .ok_or_else(|| format!("`{w}`: {class} errors are {}", names(table)))?,
        },
    };
    let e = make(bit);
    if !e.is_valid() {
        return Err(format!(
            "{bit:#x} is not one {class} error status bit; name one of {}",
            names(table)
        ));
    }
    Ok(e)
}

fn parse_function(s: &str) -> Result<(u16, u8, Devfn), String> {
    let b = pci::parse_bdf(s).map_err(|e| format!("{e} (the guest's address of the function)"))?;
    if b.all_functions {
        return Err(format!("`{s}`: name one function, not `.*`"));
    }
    let devfn =
        Devfn::new(b.dev, b.func).ok_or_else(|| format!("`{s}`: no such device/function"))?;
    Ok((b.domain, b.bus, devfn))
}

impl Request {
    /// Parses one request line (words separated by blanks).
    pub fn parse(line: &str) -> Result<Request, String> {
        if line.len() > MAX_REQUEST {
            return Err(format!("the request has over {MAX_REQUEST} bytes"));
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((&verb, args)) = words.split_first() else {
            return Err(format!("an empty request; {USAGE}"));
        };
        let wrong = |what: &str| Err(format!("`{verb}` takes {what}; {USAGE}"));
        match verb {
            "add" => {
                let Some((port, entries)) = args.split_first() else {
                    return wrong("a port name and the card's entries");
                };
                if entries.is_empty() {
                    return wrong("a port name and at least one entry");
                }
                if entries.len() > MAX_CARD_FUNCTIONS {
                    return Err(format!(
                        "a card has at most {MAX_CARD_FUNCTIONS} functions, not {}",
                        entries.len()
                    ));
                }
                let entries = entries
                    .iter()
                    .map(|e| {
                        pci::parse_spec(
                            "add",
                            e,
                            Pos { line: 0, column: 0 },
                            pci::PciOptions::default(),
                            true,
                        )
                        .map_err(|err| err.kind.to_string())
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Request::Add {
                    port: (*port).to_string(),
                    entries,
                })
            }
            "remove" => match args {
                [port] => Ok(Request::Remove {
                    port: (*port).to_string(),
                    surprise: false,
                }),
                [port, "surprise"] => Ok(Request::Remove {
                    port: (*port).to_string(),
                    surprise: true,
                }),
                _ => wrong("a port name and optionally `surprise`"),
            },
            "aer" => match args {
                [f, class] => Ok(Request::Aer {
                    function: parse_function(f)?,
                    error: parse_error(class, None)?,
                }),
                [f, class, which] => Ok(Request::Aer {
                    function: parse_function(f)?,
                    error: parse_error(class, Some(which))?,
                }),
                _ => wrong(
                    "a function's address, `correctable` or `uncorrectable`, and optionally the error",
                ),
            },
            "pme" => match args {
                [f] => Ok(Request::Pme {
                    function: parse_function(f)?,
                }),
                _ => wrong("a function's address"),
            },
            "status" if args.is_empty() => Ok(Request::Status),
            "status" => wrong("nothing"),
            _ => Err(format!("unknown request `{verb}`; {USAGE}")),
        }
    }
}

/// What the control channel keeps between requests.
#[derive(Debug, Clone)]
pub struct Control {
    segment: u16,
    ports: Vec<NamedPort>,
    /// Ports whose card leaves once the guest powers the slot off.
    pending: Vec<FunctionId>,
}

impl Control {
    /// The control channel of the segment `layout` describes.
    pub fn new(layout: &Layout) -> Control {
        Control {
            segment: layout.segment,
            ports: layout.ports.clone(),
            pending: Vec::new(),
        }
    }

    /// Removals waiting for the guest to power a slot off.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn port(&self, name: &str) -> Result<&NamedPort, String> {
        self.ports.iter().find(|p| p.name == name).ok_or_else(|| {
            format!(
                "no port `{name}`; the config names {}",
                if self.ports.is_empty() {
                    "none".to_string()
                } else {
                    self.ports
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )
        })
    }

    /// Where the guest reaches `id` now; for a function behind a slot
    /// that is off (link down), where it will once the slot is on.
    fn addr(&self, d: &SegmentDispatch, id: FunctionId) -> String {
        if let Some(b) = d.platform.bdf(id) {
            return format!("{:04x}:{b}", self.segment);
        }
        // Behind a slot that is off: the bus number its port gives it.
        let port = self.ports.iter().find_map(|p| {
            let (bus, devfn) = d.platform.placement(id)?;
            (d.platform.secondary_bus(p.id)? == bus).then_some((p.id, devfn))
        });
        match port.and_then(|(p, devfn)| Some((d.platform.bridge_state(p)?, devfn))) {
            Some((b, devfn)) => format!("{:04x}:{:02x}:{devfn}", self.segment, b.numbers.secondary),
            None => format!("{} (unreachable)", d.platform.path(id)),
        }
    }

    fn function(&self, d: &SegmentDispatch, f: (u16, u8, Devfn)) -> Result<FunctionId, String> {
        let (seg, bus, devfn) = f;
        let name = format!("{seg:04x}:{bus:02x}:{devfn}");
        if seg != self.segment {
            return Err(format!(
                "{name}: this server serves segment {:04x}",
                self.segment
            ));
        }
        d.platform
            .function_at(bus, devfn)
            .ok_or_else(|| format!("{name}: no function answers there now"))
    }

    /// Carries out `line`; the reply on success, the reason on refusal.
    /// The events it causes (a slot's interrupt) are queued in `d`.
    pub fn handle_line(&mut self, d: &mut SegmentDispatch, line: &str) -> Result<String, String> {
        let req = Request::parse(line)?;
        self.execute(d, req)
    }

    /// Carries out `req`.
    pub fn execute(&mut self, d: &mut SegmentDispatch, req: Request) -> Result<String, String> {
        let r = match req {
            Request::Add { port, entries } => self.add(d, &port, &entries),
            Request::Remove { port, surprise } => self.remove(d, &port, surprise),
            Request::Aer { function, error } => self.aer(d, function, error),
            Request::Pme { function } => self.pme(d, function),
            Request::Status => Ok(self.status(d)),
        };
        // The slot's or the Root Port's interrupt goes out now.
        d.flush_events();
        r
    }

    fn add(
        &mut self,
        d: &mut SegmentDispatch,
        name: &str,
        entries: &[pci::PciDevice],
    ) -> Result<String, String> {
        let port = self.port(name)?.id;
        let (functions, notes) = card(entries).map_err(|e| e.to_string())?;
        let ids = d
            .platform
            .hot_add_card(port, functions)
            .map_err(|e| format!("{name}: {}", e.error))?;
        let mut out = format!("{name}: card added");
        for id in ids {
            let f = self.addr(d, id);
            let ident = d
                .platform
                .function_mut(id)
                .map(|f| f.config_read(0, 4))
                .unwrap_or(u32::MAX);
            out.push_str(&format!("; {f} {:04x}:{:04x}", ident & 0xffff, ident >> 16));
        }
        for n in notes {
            out.push_str(&format!("\nnote: {n}"));
        }
        Ok(out)
    }

    fn remove(
        &mut self,
        d: &mut SegmentDispatch,
        name: &str,
        surprise: bool,
    ) -> Result<String, String> {
        let port = self.port(name)?.id;
        let Some(slot) = d.platform.slot(port) else {
            return Err(format!(
                "{name}: not a hot-plug slot; give the port `hotplug=1` in vpcie_root_ports"
            ));
        };
        if !slot.present {
            return Err(format!("{name}: the slot is empty"));
        }
        if surprise || slot.removal_allowed() {
            let removed = if surprise {
                d.platform.surprise_remove(port)
            } else {
                d.platform.hot_remove(port)
            }
            .map_err(|e| format!("{name}: {e}"))?;
            self.pending.retain(|&p| p != port);
            return Ok(format!(
                "{name}: card removed{} ({})",
                if surprise && !slot.removal_allowed() {
                    " by surprise"
                } else {
                    ""
                },
                functions(removed.len())
            ));
        }
        if self.pending.contains(&port) {
            return Ok(format!(
                "{name}: removal already asked for; the card leaves when the guest powers the slot off (or use `remove {name} surprise`)"
            ));
        }
        d.platform
            .press_attention_button(port)
            .map_err(|e| format!("{name}: {e}; use `remove {name} surprise`"))?;
        self.pending.push(port);
        Ok(format!(
            "{name}: attention button pressed; the card leaves when the guest powers the slot off"
        ))
    }

    fn aer(
        &mut self,
        d: &mut SegmentDispatch,
        f: (u16, u8, Devfn),
        error: PcieError,
    ) -> Result<String, String> {
        let id = self.function(d, f)?;
        let at = self.addr(d, id);
        let o = d
            .platform
            .inject_error(id, error)
            .map_err(|e| format!("{at}: {e}"))?;
        let message = match o.message {
            None => "logged, no message sent (masked or reporting disabled)".to_string(),
            Some(ErrorSeverity::Correctable) => "ERR_COR sent".to_string(),
            Some(ErrorSeverity::NonFatal) => "ERR_NONFATAL sent".to_string(),
            Some(ErrorSeverity::Fatal) => "ERR_FATAL sent".to_string(),
        };
        Ok(format!(
            "{at}: status bit {:#x} {message}{}",
            error.status,
            self.delivery(d, o.delivery)
        ))
    }

    fn pme(&mut self, d: &mut SegmentDispatch, f: (u16, u8, Devfn)) -> Result<String, String> {
        let id = self.function(d, f)?;
        let at = self.addr(d, id);
        let o = d
            .platform
            .signal_pme(id)
            .map_err(|e| format!("{at}: {e}"))?;
        let what = match o.signal {
            PmeSignal::Sent => "PME_Status set, PM_PME sent",
            PmeSignal::Disabled => "PME_Status set; PME_En is clear, no message",
            PmeSignal::NotSupported => "no PME support",
        };
        Ok(format!("{at}: {what}{}", self.delivery(d, o.delivery)))
    }

    fn delivery(&self, d: &SegmentDispatch, delivery: Delivery) -> String {
        match delivery {
            Delivery::NotSent => String::new(),
            Delivery::Blocked { port } => format!(
                "; stopped at {} (Bridge Control SERR# Enable clear)",
                self.addr(d, port)
            ),
            Delivery::NoRootPort => "; no Root Port above logs it".to_string(),
            Delivery::RootPort { port, interrupt } => format!(
                "; logged by Root Port {}{}",
                self.addr(d, port),
                if interrupt {
                    ", interrupt sent"
                } else {
                    ", no interrupt (not enabled by the guest)"
                }
            ),
        }
    }

    fn status(&self, d: &mut SegmentDispatch) -> String {
        let mut lines = Vec::new();
        for p in &self.ports {
            let at = self.addr(d, p.id);
            let secondary = d
                .platform
                .bridge_state(p.id)
                .map(|b| format!("bus {:02x}", b.numbers.secondary))
                .unwrap_or_default();
            let slot = match d.platform.slot(p.id) {
                None => "no hot-plug slot".to_string(),
                Some(s) => format!(
                    "slot {}, power {}, link {}{}",
                    if s.present { "occupied" } else { "empty" },
                    if s.powered { "on" } else { "off" },
                    if s.link_up { "up" } else { "down" },
                    if self.pending.contains(&p.id) {
                        ", removal waits for the guest"
                    } else {
                        ""
                    }
                ),
            };
            lines.push(format!("{} {at} secondary {secondary}: {slot}", p.name));
        }
        lines.join("\n")
    }

    /// After the guest ran: the cards whose removal waited for the guest
    /// and whose slot it powered off (or whose power indicator it turned
    /// off, without a power controller) leave now. Returns what happened,
    /// for the log.
    pub fn after_guest(&mut self, d: &mut SegmentDispatch) -> Vec<String> {
        if self.pending.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        let pending = std::mem::take(&mut self.pending);
        for port in pending {
            let name = self
                .ports
                .iter()
                .find(|p| p.id == port)
                .map_or("?", |p| p.name.as_str())
                .to_string();
            match d.platform.slot(port) {
                Some(s) if s.present && s.removal_allowed() => match d.platform.hot_remove(port) {
                    Ok(removed) => out.push(format!(
                        "{name}: the guest powered the slot off; card removed ({})",
                        functions(removed.len())
                    )),
                    Err(e) => out.push(format!("{name}: {e}")),
                },
                Some(s) if s.present => self.pending.push(port),
                _ => out.push(format!("{name}: the card is gone already")),
            }
        }
        d.flush_events();
        out
    }
}
