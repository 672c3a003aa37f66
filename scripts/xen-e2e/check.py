#!/usr/bin/env python3
"""Checks a vpcie real-Xen run: the guest's view (the run log) against
vpcie's own view of the same platform, which the same binary computes on
the host from the same config (`vpcie serve --simulate --lspci`: the
segment built and planned as in dom0, enumerated through the simulated
hypervisor; `--writable`: which bits of each byte a guest can change).

usage: check.py RUN_LOG VPCIE_VIEW [WRITABLE_MASKS]
       (no masks: phase A's flat bus, every byte but Command compared)
Prints one line per check and ends with `N passed, M failed`."""
import re
import sys

log = open(sys.argv[1], errors="replace").read().replace("\r", "")
# A kernel message printed while a line was half written lands inside it
# (`2e0: 00 00 00[  149.014549] hrtimer: interrupt took 31934719 ns`, the rest
# of the line on the next one): dom0's kernel on dom0's console, the guest's on
# its serial line. Take such messages out so the line is whole again.
log = re.sub(r"(?<!\(XEN\) )(?<!\(d\d\) )(?<=[^\n])\[ *\d+\.\d{6}\] [^\n]*\n", "", log)
view_text = open(sys.argv[2]).read()
masks_text = open(sys.argv[3]).read() if len(sys.argv) > 3 else None
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(("PASS " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))


def section(start, end):
    i = log.find(start)
    if i < 0:
        return ""
    j = log.find(end, i + len(start))
    return log[i + len(start): j if j >= 0 else len(log)]


def parse_dump(text):
    """{bdf: {offset: byte}} from lspci -x text (rows `00:` .. `ff0:`)."""
    funcs, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) ", line)
        if m:
            cur = funcs.setdefault(m.group(1), {})
            continue
        m = re.match(r"^([0-9a-f]{2,3}): ((?:[0-9a-f]{2} ?){16})$", line.strip())
        if m and cur is not None:
            base = int(m.group(1), 16)
            for k, b in enumerate(m.group(2).split()):
                cur[base + k] = int(b, 16)
    return funcs


def word(c, o, n):
    return sum(c.get(o + k, 0xff) << (8 * k) for k in range(n))


def caps_of(c):
    """Capability offsets as lspci lists them: standard, then extended."""
    out = []
    if word(c, 6, 2) & 0x10:
        p, ttl = word(c, 0x34, 1) & 0xfc, 48
        while p >= 0x40 and ttl:
            out.append(f"{p:x}")
            p, ttl = word(c, p + 1, 1) & 0xfc, ttl - 1
    if len(c) > 256:
        p, ttl = 0x100, 480
        while p and ttl:
            h = word(c, p, 4)
            if h in (0, 0xffffffff):
                break
            out.append(f"{p:x}")
            p, ttl = (h >> 20) & 0xffc, ttl - 1
            if p < 0x100:
                break
    return out


def vvv_caps(text):
    """{bdf: [cap offsets]} from lspci -vvv text."""
    out, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) ", line)
        if m:
            cur = out.setdefault(m.group(1), [])
            continue
        m = re.match(r"^\s+Capabilities: \[([0-9a-f]+)", line)
        if m and cur is not None:
            cur.append(m.group(1).lstrip("0") or "0")
    return out


phase_b = masks_text is not None
check("xl create accepts a config with vpcie_* keys", "=== XL CREATE rc=0" in log)
if phase_b:
    m = re.search(r"=== VPCIE ACPI rc=(\d+) in ([0-9.]+)s: (.*)", log)
    check("vpcie planned the segment and wrote its SSDT + MCFG before xl create",
          m is not None and m.group(1) == "0", m.group(3)[:160] if m else "no VPCIE ACPI line")
ready = re.search(r"vpcie serve \(pid \d+\) for domid \d+ ready after ([0-9.]+)s", log)
check("vpcie serve came up (READY)", ready is not None and "\nREADY" in log,
      f"{ready.group(1)} s from start to READY (dom0 time)" if ready else "")
check("the guest ran to its end", "=== GUEST END" in log)
tables = re.search(r"=== GUEST ACPI tables: (.*)", log)
check("the guest has vpcie's SSDT and MCFG", tables is not None and "MCFG" in tables.group(1)
      and "SSDT" in tables.group(1), tables.group(1) if tables else "")
# The guest kernel's messages (dom0's own kernel prints similar lines into the same log).
gdmesg = section("=== GUEST dmesg-pci ===", "=== GUEST dmesg-pci END")
check("the guest's kernel uses MMCONFIG (ECAM) for segment 1",
      re.search(r"MMCONFIG for domain 0001|ECAM \[mem 0xe0000000-0xefffffff\] for domain 0001|"
                r"domain 0001 \[bus 00-ff\] at \[mem 0xe0000000", gdmesg) is not None)
if phase_b:
    # The host bridge of PCI1 (its PNPxxxx:nn name depends on the other bridges).
    i = gdmesg.find("PCI Root Bridge [PCI1]")
    osc = re.search(r"_OSC: OS now controls \[([^\]]*)\]", gdmesg[i:]) if i >= 0 else None
    granted = osc.group(1) if osc else ""
    check("_OSC gives the guest native hot-plug, PME and AER on segment 1",
          all(k in granted for k in ("PCIeHotplug", "PME", "AER")), granted or "no `OS now controls` line")

guest = parse_dump(section("=== GUEST lspci-xxxx ===", "=== GUEST lspci-xxxx END"))
mine = parse_dump(view_text)
masks = parse_dump(masks_text) if phase_b else {}
check("the guest sees the functions vpcie serves (the tree)", sorted(guest) == sorted(mine) and len(mine) > 0,
      f"guest {sorted(guest)}, vpcie {sorted(mine)}")
if phase_b:
    # Every bridge's children lie in its bus range, every non-root function below some bridge.
    bad = []
    for bdf, c in mine.items():
        bus = int(bdf[5:7], 16)
        if bus == 0:
            continue
        if not any(word(p, 0x19, 1) <= bus <= word(p, 0x1a, 1) and int(pb[5:7], 16) < bus
                   for pb, p in mine.items() if word(p, 0xe, 1) & 0x7f == 1):
            bad.append(bdf)
    check("vpcie's hierarchy: every function below bus 0 sits in a bridge's bus range", not bad and
          any(word(c, 0xe, 1) & 0x7f == 1 for c in mine.values()), ", ".join(bad))

vvv = section("=== GUEST lspci-vvv ===", "=== GUEST lspci-vvv END")
guest_caps = vvv_caps(vvv)
ROUTING = list(range(0x18, 0x1b)) + [0x1c, 0x1d] + list(range(0x20, 0x2c)) + list(range(0x30, 0x34))
BARS = list(range(0x10, 0x28)) + list(range(0x30, 0x34))
for bdf in sorted(mine):
    g, v = guest.get(bdf, {}), mine[bdf]
    if phase_b:
        mk = masks.get(bdf, {})
        diff = [o for o in sorted(v) if mk.get(o, 0xff) == 0 and g.get(o) != v[o]]
        what = "every byte the guest cannot change, as vpcie serves it"
    else:
        diff = [o for o in sorted(v) if o not in (4, 5) and g.get(o) != v[o]]
        what = "config space as vpcie serves it"
    check(f"{bdf}: {what} ({len(g)} bytes read by the guest)", len(g) == len(v) and not diff,
          "" if not diff else f"{len(diff)} bytes differ, first at {diff[0]:#x}: guest "
          f"{g.get(diff[0], -1):#04x} vpcie {v[diff[0]]:#04x}"
          + (f" (also {', '.join(hex(o) for o in diff[1:6])})" if len(diff) > 1 else ""))
    want = caps_of(v)
    check(f"{bdf}: capabilities and extended capabilities decoded by lspci", guest_caps.get(bdf) == want,
          f"guest {guest_caps.get(bdf)}, vpcie {want}")
    if phase_b:
        regs = ROUTING if word(v, 0xe, 1) & 0x7f == 1 else BARS
        moved = [o for o in regs if g.get(o) != v.get(o)]
        kind = "bus numbers and windows" if regs is ROUTING else "BARs"
        check(f"{bdf}: {kind} as the firmware planned them", not moved,
              "" if not moved else "differ at " + ", ".join(f"{o:#x} (guest {g.get(o, -1):#04x} "
                                                            f"vpcie {v.get(o, -1):#04x})" for o in moved[:4]))
sizes = dict(re.findall(r"=== GUEST sysfs config size (\S+): (\d+) bytes", log))
check("extended config space (4096 bytes) for every segment-1 function",
      all(sizes.get(b) == "4096" for b in mine) and len(mine) > 0, str(sizes))
# (up to the guest's next marker: the hot-plug phase's kernel lines are checked below)
errs = section("=== GUEST dmesg (errors) ===", "\n=== GUEST ").strip()
seg_errs = [line for line in errs.splitlines() if "0001" in line or "PCI1" in line or "MCF1" in line]
# Resource trouble Linux reports without the words the error grep looks for.
seg_errs += re.findall(r"^.*(?:0001:|PNP0A08:01).*(?:can't claim|no space for|no compatible bridge window|"
                       r"ignore host bridge window|conflicts with|BAR \d+: assigned).*$", gdmesg, re.M)
check("no PCI/ACPI errors or resource conflicts about segment 1 in the guest's kernel log", not seg_errs,
      "; ".join(seg_errs[:3]))
exitm = re.search(r"=== VPCIE EXIT rc=(\d+) after SIGTERM in ([0-9.]+)s", log)
check("vpcie stops cleanly on SIGTERM (server destroyed, ranges released)",
      exitm is not None and exitm.group(1) == "0" and "server destroyed, ranges released" in log,
      f"rc {exitm.group(1)} in {exitm.group(2)} s" if exitm else "no exit line")
stats = re.search(r"vpcie serve: stopping: (\d+) ioreqs .*?(\d+) refused", log)
check("vpcie served requests and refused none", stats is not None and int(stats.group(1)) > 0 and stats.group(2) == "0",
      stats.group(0) if stats else "")

# While the guest runs (stage vpcie): dom0 answers the guest's `=== GUEST ASK`
# lines with `vpcie ctl` (logged `=== CTL VERB rc=N | REQUEST | REPLY`): a
# card hot-added into the hotplug=1 port's slot, its removal by the attention
# button, a correctable and an uncorrectable (non-fatal) error on a function.
if phase_b:
    ctls = re.findall(r"^=== CTL (\S+) rc=(\d+) \| (.*?) \| (.*)$", log, re.M)

    def first_line(pattern, default):
        m = re.search(pattern, log, re.M)
        return m.group(0)[:200] if m else default

    def ctl(verb, arg=""):
        """(rc, reply) of the first `vpcie ctl VERB ...` whose request contains arg."""
        for v, rc, req, reply in ctls:
            if v == verb and arg in req:
                return int(rc), reply.strip("|")
        return None, f"no `vpcie ctl {verb} {arg}` in the log"

    gctl = section("=== GUEST dmesg-ctl ===", "=== GUEST dmesg-ctl END")
    ask = re.search(r"^=== GUEST ASK add (\S+) (\S+)", log, re.M)
    hp_port, hp_dev = ask.groups() if ask else ("", "")
    rc, reply = ctl("add")
    added = re.search(r"card added; (\S+) ([0-9a-f]{4}:[0-9a-f]{4})", reply)
    check("hot-add: `vpcie ctl add` puts a card into the hot-plug slot while the guest runs",
          rc == 0 and added is not None, reply.split("|")[0][:200])
    seen = re.search(r"^=== GUEST HP added after ([0-9.]+)s: (\S+) .*\[([0-9a-f]{4}:[0-9a-f]{4})\]", log, re.M)
    # `pcieport BDF: pciehp: Slot(3-1): Card present` (6.1), `pciehp BDF:pcie004: Slot(..)...` (older)
    pciehp = re.findall(r"pciehp:? (Slot\(\S+\):? (?:Card present|Card not present|Link Up|Link Down|"
                        r"Attention button pressed|Powering o\w+ due to button press))", gctl)
    check("hot-add: the guest's pciehp brings the card up (it appears in the guest's lspci)",
          seen is not None and added is not None and seen.group(2) == added.group(1)
          and seen.group(3) == added.group(2),
          (f"{seen.group(2)} [{seen.group(3)}] after {seen.group(1)} s; " if seen else
           first_line(r"^=== GUEST HP (?:add|no port).*$", "the guest did not report") + "; ")
          + "pciehp: " + ", ".join(dict.fromkeys(pciehp)))
    # The card's memory BARs inside the window the firmware reserved behind the port.
    regions = re.findall(r"^=== GUEST HP card\s+Region (\d+): Memory at ([0-9a-f]+|<unassigned>) \((\d\d)-bit, "
                         r"(non-)?prefetchable\)", log, re.M)
    port = mine.get(hp_port, {})
    mem = ((word(port, 0x20, 2) & 0xfff0) << 16, ((word(port, 0x22, 2) & 0xfff0) << 16) | 0xfffff)
    pref = (((word(port, 0x28, 4) << 32) | ((word(port, 0x24, 2) & 0xfff0) << 16)),
            ((word(port, 0x2c, 4) << 32) | ((word(port, 0x26, 2) & 0xfff0) << 16) | 0xfffff))
    outside = [f"BAR{n} {a}" for n, a, _, np in regions
               if a == "<unassigned>" or not any(lo <= int(a, 16) <= hi for lo, hi in ([mem] if np else [mem, pref]))]
    check("hot-add: the card's memory BARs lie in the window the firmware reserved behind the port",
          regions and not outside and port,
          f"{len(regions)} memory BARs, window {mem[0]:#x}-{mem[1]:#x}" + (f"; outside: {', '.join(outside)}" if outside else ""))
    rc, reply = ctl("remove")
    status = [r for v, _, _, r in ctls if v == "status"]
    last_status = next((line for line in (status[-1].split("|") if status else []) if hp_port and hp_port in line), "")
    gone = re.search(r"^vpcie serve: .*(?:powered the slot off|let go).*card removed.*$", log, re.M)
    check("hot-remove: attention button, the guest's pciehp powers the slot off, vpcie takes the card out",
          rc == 0 and "attention button pressed" in reply and gone is not None and "slot empty" in last_status,
          f"ctl: {reply[:90]}; serve: {gone.group(0)[13:110] if gone else 'no removal line'}; status: {last_status.strip()}")
    removed = re.search(r"^=== GUEST HP removed after ([0-9.]+)s", log, re.M)
    empty = re.search(r"^=== GUEST HP slot empty after ([0-9.]+)s", log, re.M)
    check("hot-remove: the card disappears from the guest and its slot reads empty",
          removed is not None and empty is not None,
          f"gone {removed.group(1)} s after the button, slot empty after {empty.group(1)} s" if removed and empty else
          first_line(r"^=== GUEST HP (?:remove|slot still).*$", "the guest did not report"))
    # AER: the Root Port above the function logs the message and names it as the source.
    for cls, verb, sev, what in (("correctable", "cor", "Corrected", "a correctable error"),
                                 ("uncorrectable", "uncor", "Uncorrected (Non-Fatal)", "an uncorrectable non-fatal error")):
        a = re.search(rf"^=== GUEST ASK aer-{verb} (\S+)", log, re.M)
        dev = a.group(1) if a else "0001:01:00.0"
        bus = int(dev[5:7], 16)
        rp = next((b for b, c in sorted(mine.items()) if b[5:7] == "00" and word(c, 0xe, 1) & 0x7f == 1
                   and word(c, 0x19, 1) <= bus <= word(c, 0x1a, 1)), "?")
        rc, reply = ctl("aer", f"{dev} {cls}")
        # Linux 6.1 (the guest's): `AER: Corrected error message received from BDF`; later ones `... error received: BDF`
        received = rf"pcieport {re.escape(rp)}: AER: {re.escape(sev)} error (?:message )?received(?::| from) {re.escape(dev)}"
        got = re.search(received, log)
        # what follows in the kernel's log: the source's own AER registers, as Linux read and decoded them
        m = re.search(received, gctl)
        after = gctl[m.end():] if m else ""
        nxt = re.search(r"error (?:message )?received", after)
        after = after[:nxt.start()] if nxt else after
        detail = re.findall(rf"pci {re.escape(dev)}: (?:AER: )?(PCIe Bus Error: severity={re.escape(sev)}, type=\w+.*|"
                            r"\s+device \[.*|\s+\[ *\d+\] \S+.*)", after)
        check(f"AER: {what} injected on a passthrough function shows in the guest's AER messages with its source"
              f" ({rp} names {dev})",
              rc == 0 and got is not None and any("PCIe Bus Error" in d and "Inaccessible" not in d for d in detail),
              f"ctl: {reply[:100]}; guest: " + ("; ".join(re.sub(r"\s+", " ", d) for d in detail[:3])
                                                 or (got.group(0) if got else "no such message")))
    msis = re.search(r"MSIs (\d+) injected, (\d+) failed, (\d+) dropped", log)
    check("vpcie injected the ports' MSIs with XEN_DMOP_inject_msi, none failed",
          msis is not None and int(msis.group(1)) > 0 and msis.group(2) == "0" and msis.group(3) == "0",
          msis.group(0) if msis else "no MSI counts in serve's last line")
    for line in re.findall(r"^=== GUEST (?:interrupts|control phase).*$", log, re.M):
        print("INFO " + line[10:])
    # the AER service's own lines (the errors and their recovery) are expected; anything else is worth a look
    aer_lines = re.compile(r"AER:|PCIe Bus Error|error status/mask|^\[[ 0-9.]+\] pci \S+: +\[ *\d+\]")
    trouble = [line for line in gctl.splitlines() if re.search(r"fail|can't|no space|timeout|error|released", line, re.I)
               and not aer_lines.search(line)]
    print(f"INFO guest kernel during the hot-plug/AER phase: {len(trouble)} lines about failures"
          + (": " + " / ".join(trouble[:4]) if trouble else ""))
    recovery = [re.sub(r"^\[[ 0-9.]+\] ", "", line) for line in gctl.splitlines() if "recover" in line]
    if recovery:
        print("INFO the guest's AER recovery after the non-fatal error: " + " / ".join(recovery))

# Timing: the guest kernel's segment-1 enumeration, first to last `0001:` line.
# Enumeration: from the host bridge's first line to the last `pci`/`pci_bus 0001:` line
# (scan, BARs and windows claimed); the port services (pcieport: PME, AER) follow.
ts = [float(t) for t in re.findall(r"^\[\s*([0-9.]+)\] (?:pci 0001:|pci_bus 0001:|ACPI: PCI Root Bridge \[PCI1\])", gdmesg, re.M)]
ps = [float(t) for t in re.findall(r"^\[\s*([0-9.]+)\] pcieport 0001:", gdmesg, re.M)]
if ts:
    print(f"INFO guest kernel enumeration of segment 1: {max(ts) - min(ts):.3f} s of guest time "
          f"({len(ts)} kernel lines from {min(ts):.3f} s)"
          + (f"; port services (PME, AER) up {max(ps) - min(ts):.3f} s after the first line" if ps else ""))
for dev, n, size, secs in dict.fromkeys(re.findall(r"(\d{4}:[0-9a-f:.]+): (\d+) x (\d+) bytes in ([0-9.]+)s", log)):
    reads = int(n) * int(size) // 4
    print(f"INFO sysfs config read timing {dev}: {n} x {size} bytes in {secs} s, "
          f"{float(secs) / reads * 1e3:.2f} ms per 4-byte read")
passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
