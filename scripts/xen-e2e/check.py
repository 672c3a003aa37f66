#!/usr/bin/env python3
"""Checks a vpcie real-Xen run: the log of run.sh's `vpcie` stage against
vpcie's own view of the same platform (`vpcie serve --simulate --lspci`).
usage: check.py RUN_LOG VPCIE_VIEW   -> prints one line per check and `N passed, M failed`"""
import re, sys

log = open(sys.argv[1], errors="replace").read().replace("\r", "")
view = open(sys.argv[2]).read()
results = []

def check(name, ok, detail=""):
    results.append(ok)
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

check("xl create accepts a config with vpcie_* keys", "=== XL CREATE rc=0" in log)
ready = re.search(r"vpcie serve \(pid \d+\) for domid \d+ ready after ([0-9.]+)s", log)
check("vpcie serve came up (READY)", ready is not None and "\nREADY" in log,
      f"{ready.group(1)} s from start to READY" if ready else "")
check("the guest ran to its end", "=== GUEST END" in log)
guest = parse_dump(section("=== GUEST lspci -D -xxxx -s 0001:: ===", "=== GUEST lspci -D -xxxx END"))
mine = parse_dump(view)
check("the guest sees the functions vpcie serves", sorted(guest) == sorted(mine) and len(mine) > 0,
      f"guest {sorted(guest)}, vpcie {sorted(mine)}")
for bdf in sorted(mine):
    g, v = guest.get(bdf, {}), mine[bdf]
    # Command (0x04-0x05) is the guest's to change; every other byte is read-only.
    diff = [o for o in sorted(v) if o not in (4, 5) and g.get(o) != v[o]]
    check(f"{bdf}: config space as vpcie serves it ({len(g)} bytes read by the guest)",
          len(g) == len(v) and not diff,
          "" if not diff else f"{len(diff)} bytes differ, first at {diff[0]:#x}: guest {g.get(diff[0])} vpcie {v[diff[0]]}")
sizes = dict(re.findall(r"=== GUEST sysfs config size (\S+): (\d+) bytes", log))
check("extended config space (4096 bytes) for every segment-1 function",
      all(sizes.get(b) == "4096" for b in mine) and len(mine) > 0, str(sizes))
vvv = section("=== GUEST lspci -vvv -s 0001:: ===", "=== GUEST sysfs")
check("lspci decodes extended capabilities of the GPU", "Capabilities: [100" in vvv and "Secondary PCI Express" in vvv or "Capabilities: [1" in vvv)
errs = section("=== GUEST dmesg (errors) ===", "=== GUEST END").strip()
seg_errs = [l for l in errs.splitlines() if "0001" in l or "PCI1" in l or "MCF1" in l]
check("no PCI/ACPI errors about segment 1 in the guest's kernel log", not seg_errs, "; ".join(seg_errs[:3]))
check("the guest's kernel uses MMCONFIG for segment 1",
      re.search(r"MMCONFIG for domain 0001|ECAM \[mem 0xe0000000-0xefffffff\] for domain 0001|domain 0001 \[bus 00-ff\] at \[mem 0xe0000000", log) is not None)
exitm = re.search(r"=== VPCIE EXIT rc=(\d+) after SIGTERM in ([0-9.]+)s", log)
check("vpcie stops cleanly on SIGTERM (server destroyed, ranges released)",
      exitm is not None and exitm.group(1) == "0" and "server destroyed, ranges released" in log,
      f"rc {exitm.group(1)} in {exitm.group(2)} s" if exitm else "no exit line")
stats = re.search(r"vpcie serve: stopping: (\d+) ioreqs .*?(\d+) refused", log)
check("vpcie served requests and refused none", stats is not None and int(stats.group(1)) > 0 and stats.group(2) == "0",
      stats.group(0) if stats else "")
# Timing: the guest kernel's segment-1 enumeration, first to last `0001:` line.
ts = [float(t) for t, _ in re.findall(r"\[\s*([0-9.]+)\] (?:pci|pci_bus|acpi|ACPI)[^\n]*(0001:)", log)]
if ts:
    print(f"INFO guest enumeration of segment 1: {max(ts) - min(ts):.3f} s of guest time ({len(ts)} kernel lines)")
for m in re.findall(r"(0001:00:0[0-9a-f]\.[0-7]: 5 x \d+ bytes in [0-9.]+s)", log):
    print(f"INFO sysfs config read timing {m}")
passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
