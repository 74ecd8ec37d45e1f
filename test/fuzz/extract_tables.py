#!/usr/bin/env python3
"""Cuts firmware ACPI tables (and the multiboot2 info block) out of a guest RAM dump.

    extract_tables.py RAM_DUMP OUT_PREFIX [--mbi PHYS]

RAM_DUMP holds guest physical memory from address 0 (QEMU's pmemsave, Bochs's
writemem). The RSDP is looked up as the kernel does (the multiboot2 RSDP tag when --mbi
is given, else the EBDA and 0xE0000-0xFFFFF), falling back to a scan of the whole dump
on a 16-byte stride (OVMF keeps it in high memory). Writes OUT_PREFIX-<name>.bin for
the RSDP, RSDT, XSDT, every table they list, and the info block; prints one line each.
Only checks what it needs to walk the tables: the parsers under test judge the rest.
"""
import struct
import sys


def u32(b, o):
    return struct.unpack_from("<I", b, o)[0]


def rsdp_at(ram, o):
    if o + 20 > len(ram) or ram[o:o + 8] != b"RSD PTR " or sum(ram[o:o + 20]) & 0xFF:
        return None
    if ram[o + 15] >= 2 and o + 36 <= len(ram):
        length = u32(ram, o + 20)
        if 36 <= length <= 64 and sum(ram[o:o + length]) & 0xFF == 0:
            return ram[o:o + length]
    return ram[o:o + 20]


def find_rsdp(ram):
    ebda = struct.unpack_from("<H", ram, 0x40E)[0] << 4
    ranges = []
    if 0x80000 <= ebda < 0xA0000:
        ranges.append(range(ebda, ebda + 1024, 16))
    ranges += [range(0xE0000, 0x100000, 16), range(0, len(ram) - 36, 16)]
    for r in ranges:
        for o in r:
            found = rsdp_at(ram, o)
            if found:
                return found
    return None


def table_at(ram, phys):
    if phys + 36 > len(ram):
        return None
    length = u32(ram, phys + 4)
    if length < 36 or phys + length > len(ram):
        return None
    return ram[phys:phys + length]


def multiboot_rsdp(mbi):
    """The RSDP from the info block's tag 15 (new) or 14 (old), as the kernel prefers."""
    found = {}
    offset = 8
    while offset + 8 <= len(mbi):
        tag_type, size = struct.unpack_from("<II", mbi, offset)
        if tag_type == 0 or size < 8:
            break
        if tag_type in (14, 15):
            found[tag_type] = mbi[offset + 8:offset + size]
        offset += (size + 7) & ~7
    return found.get(15) or found.get(14)


def main():
    args = sys.argv[1:]
    mbi_phys = None
    if "--mbi" in args:
        i = args.index("--mbi")
        mbi_phys = int(args[i + 1], 0)
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    ram = open(args[0], "rb").read()
    prefix = args[1]

    def write(name, data):
        path = f"{prefix}-{name}.bin"
        with open(path, "wb") as f:
            f.write(data)
        print(f"{path}: {len(data)} bytes")

    rsdp = None
    if mbi_phys is not None:
        mbi = ram[mbi_phys:mbi_phys + u32(ram, mbi_phys)]
        write("mbi", mbi)
        rsdp = multiboot_rsdp(mbi)
    rsdp = rsdp or find_rsdp(ram)
    if not rsdp:
        sys.exit("no RSDP found")
    write("rsdp", rsdp)

    seen = {}
    roots = [("rsdt", u32(rsdp, 16), 4)]
    if len(rsdp) >= 36:
        roots.append(("xsdt", struct.unpack_from("<Q", rsdp, 24)[0], 8))
    for name, phys, entry_size in roots:
        root = table_at(ram, phys) if phys else None
        if not root:
            continue
        write(name, root)
        for o in range(36, len(root) - entry_size + 1, entry_size):
            entry = int.from_bytes(root[o:o + entry_size], "little")
            table = table_at(ram, entry)
            if table and entry not in seen:
                seen[entry] = table
    for phys, table in seen.items():
        signature = table[:4].decode("ascii", "replace").lower().strip()
        write(signature, table)
        if table[:4] == b"FACP" and len(table) >= 44:  # the DSDT is reached through the FADT
            dsdt = table_at(ram, u32(table, 40))
            if dsdt:
                write("dsdt", dsdt)


if __name__ == "__main__":
    main()
