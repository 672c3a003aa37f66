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
errs = section("=== GUEST dmesg (errors) ===", "=== GUEST END").strip()
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
