# A raw guest of the QEMU test spinners_do_not_starve_mterm (xtask/src/qemu_tests/),
# assembled with print-hex.S appended into a binary for a guest's ROM.
# A guest spinning with its interrupts off.
    .set noreorder
    .text
start:
    di
1:  b     1b
    nop
