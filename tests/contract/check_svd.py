#!/usr/bin/env python3
"""Checks the CMSIS-SVD file epochcore-describe generates: well-formed XML with the
elements CMSIS-SVD requires, and every register and field consistent (offsets inside the
window and unique, fields inside 32 bits and not overlapping).
    check_svd.py EPOCHCORE_DESCRIBE"""
import subprocess
import sys
import xml.etree.ElementTree as ET


def fail(msg):
    print("check_svd: " + msg)
    sys.exit(1)


def text(node, tag, where):
    child = node.find(tag)
    if child is None or child.text is None or not child.text.strip():
        fail("%s has no <%s>" % (where, tag))
    return child.text.strip()


def main():
    xml = subprocess.run([sys.argv[1], "--svd"], check=True, stdout=subprocess.PIPE).stdout
    root = ET.fromstring(xml)
    if root.tag != "device":
        fail("root element is <%s>, not <device>" % root.tag)
    for tag in ("name", "addressUnitBits", "width"):
        text(root, tag, "device")
    peripherals = root.findall("peripherals/peripheral")
    if len(peripherals) != 1:
        fail("expected one peripheral, found %d" % len(peripherals))
    p = peripherals[0]
    text(p, "name", "peripheral")
    int(text(p, "baseAddress", "peripheral"), 0)
    block = p.find("addressBlock")
    if block is None:
        fail("peripheral has no <addressBlock>")
    window = int(text(block, "size", "addressBlock"), 0)
    regs = p.findall("registers/register")
    if len(regs) < 20:
        fail("only %d registers" % len(regs))
    offsets = set()
    for r in regs:
        name = text(r, "name", "register")
        where = "register " + name
        off = int(text(r, "addressOffset", where), 0)
        if off % 4 or off >= window or off in offsets:
            fail("%s: offset 0x%x misaligned, outside the window or repeated" % (where, off))
        offsets.add(off)
        if int(text(r, "size", where), 0) != 32:
            fail(where + ": size is not 32")
        if text(r, "access", where) not in ("read-only", "write-only", "read-write"):
            fail(where + ": bad access")
        int(text(r, "resetValue", where), 0)
        fields = r.findall("fields/field")
        if not fields:
            fail(where + ": no fields")
        used = 0
        for f in fields:
            fw = where + " field " + text(f, "name", where + " field")
            lo = int(text(f, "bitOffset", fw))
            width = int(text(f, "bitWidth", fw))
            if width < 1 or lo + width > 32:
                fail(fw + ": outside 32 bits")
            mask = ((1 << width) - 1) << lo
            if used & mask:
                fail(fw + ": overlaps another field")
            used |= mask
            for ev in f.findall("enumeratedValues/enumeratedValue"):
                if int(text(ev, "value", fw + " enumeratedValue"), 0) >= (1 << width):
                    fail(fw + ": enumerated value does not fit the field")
    names = {r.find("name").text for r in regs}
    for want in ("ID", "STATUS", "DOORBELL", "HW_VECTOR"):
        if want not in names:
            fail("register %s missing" % want)
    print("SVD: %d registers, well-formed" % len(regs))


if __name__ == "__main__":
    main()
