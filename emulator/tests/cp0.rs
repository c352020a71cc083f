//! Every CP0 (rd, sel) of the 24Kf: reset value, writable bits and hooks,
//! checked through mfc0/mtc0 against REFERENCE-24Kf.md §2.2 (written out
//! here independently of the spec file, so a typo in either shows up).
mod common;
use common::*;
use emulator::{AddressMap, Cp0, Cp0Reg, Cpu, ExcCode, Outcome, UNLISTED_READ};

/// (rd, sel, reset value as mfc0 reads it, writable mask) for the registers
/// whose mtc0 is `(old & !mask) | (value & mask)`.
const PLAIN: &[(u8, u8, u32, u32)] = &[
    (2, 0, 0, 0x03FF_FFFF),
    (3, 0, 0, 0x03FF_FFFF),
    (4, 0, 0, 0xFF80_0000),
    (5, 1, 0, 0),
    (6, 0, 0, 0x0000_000F),
    (6, 1, 0, 0),
    (6, 2, 0, 0),
    (6, 3, 0, 0),
    (6, 4, 0, 0),
    (6, 5, 0, 0),
    (7, 0, 0, 0x0000_000F),
    (8, 0, 0, 0),
    (9, 0, 1, 0xFFFF_FFFF),
    (10, 0, 0, 0xFFFF_E0FF),
    (11, 0, 0, 0xFFFF_FFFF),
    (12, 0, 0x0040_0004, 0x3678_FF1F),
    (12, 1, 0xE000_0000, 0x0000_03E0),
    (12, 2, 0, 0x0000_F3C0),
    (12, 3, 0, 0xFFFF_FFFF),
    (13, 0, 0, 0x08C0_0300),
    (14, 0, 0, 0xFFFF_FFFF),
    (15, 0, 0x0001_9300, 0),
    (15, 1, 0x8000_0000, 0x3FFF_F000),
    (16, 0, 0x8000_0482, 0x0000_0007),
    (16, 1, 0x9E19_0C8F, 0),
    (16, 2, 0x8000_0000, 0),
    (16, 3, 0, 0),
    (16, 4, 0, 0),
    (16, 5, 0, 0),
    (16, 6, 0, 0),
    (16, 7, 0, 0),
    (17, 0, 0, 0),
    (18, 0, 0, 0xFFFF_FFF8),
    (18, 1, 0, 0xFFFF_FFF8),
    (18, 2, 0, 0xFFFF_FFF8),
    (18, 3, 0, 0xFFFF_FFF8),
    (18, 4, 0, 0xFFFF_FFF8),
    (18, 5, 0, 0xFFFF_FFF8),
    (18, 6, 0, 0xFFFF_FFF8),
    (18, 7, 0, 0xFFFF_FFF8),
    (19, 0, 0x8000_0000, 0x40FF_0FF8),
    (19, 1, 0x8000_0000, 0x40FF_0FF8),
    (19, 2, 0x8000_0000, 0x40FF_0FF8),
    (19, 3, 0x8000_0000, 0x40FF_0FF8),
    (19, 4, 0x8000_0000, 0x40FF_0FF8),
    (19, 5, 0x8000_0000, 0x40FF_0FF8),
    (19, 6, 0x8000_0000, 0x40FF_0FF8),
    (19, 7, 0, 0x40FF_0FF8),
    (21, 0, 0, 0xFFFF_FFFF),
    (22, 0, 0, 0),
    (22, 1, 0, 0),
    (22, 2, 0, 0),
    (22, 3, 0, 0),
    (22, 4, 0, 0),
    (22, 5, 0, 0),
    (22, 6, 0, 0),
    (22, 7, 0, 0),
    (24, 0, 0, 0xFFFF_FFFF),
    (25, 0, 0, 0x0000_07FF),
    (26, 0, 0, 0x3000_0000),
    (27, 0, 0, 0),
    (28, 0, 0, 0xFFFF_FCF6),
    (28, 1, 0, 0xFFFF_FFFF),
    (28, 2, 0, 0xFFFF_FCF6),
    (28, 3, 0, 0xFFFF_FFFF),
    (28, 4, 0, 0xFFFF_FCF6),
    (28, 5, 0, 0xFFFF_FFFF),
    (28, 6, 0, 0xFFFF_FCF6),
    (28, 7, 0, 0xFFFF_FFFF),
    (29, 0, 0, 0xFFFF_FFFF),
    (29, 1, 0, 0xFFFF_FFFF),
    (29, 2, 0, 0xFFFF_FFFF),
    (29, 3, 0, 0xFFFF_FFFF),
    (29, 4, 0, 0xFFFF_FFFF),
    (29, 5, 0, 0xFFFF_FFFF),
    (29, 6, 0, 0xFFFF_FFFF),
    (29, 7, 0, 0xFFFF_FFFF),
    (30, 0, 0, 0xFFFF_FFFF),
    (31, 0, 0, 0xFFFF_FFFF),
];

/// Registers with write or read hooks, checked one by one below.
const HOOKED: &[(u8, u8)] = &[(0, 0), (1, 0), (5, 0), (23, 0)];
const RESERVED: &[(u8, u8)] = &[(5, 5), (5, 6), (5, 7), (6, 6)];

/// A reset CPU in kernel mode (Status keeps its reset value: ERL=1).
fn reset_cpu() -> Cpu {
    let mut cpu = Cpu::new(AddressMap::Native);
    cpu.pc = 0x8000_1000;
    cpu
}

fn read(cpu: &mut Cpu, rd: u8, sel: u8) -> u32 {
    let pc = cpu.pc;
    assert_eq!(cpu.execute(mfc0(2, rd.into(), sel.into()), None), Outcome::Continue, "mfc0 ({rd},{sel})");
    assert_eq!(cpu.pc, pc.wrapping_add(4));
    cpu.gpr[2]
}

fn write(cpu: &mut Cpu, rd: u8, sel: u8, value: u32) {
    cpu.gpr[3] = value;
    assert_eq!(cpu.execute(mtc0(3, rd.into(), sel.into()), None), Outcome::Continue, "mtc0 ({rd},{sel})");
}

#[test]
fn plain_registers_reset_and_mask() {
    for &(rd, sel, reset, mask) in PLAIN {
        let mut cpu = reset_cpu();
        assert_eq!(read(&mut cpu, rd, sel), reset, "reset of ({rd},{sel})");
        write(&mut cpu, rd, sel, 0xFFFF_FFFF);
        assert_eq!(read(&mut cpu, rd, sel), reset | mask, "({rd},{sel}) after writing ones");
        write(&mut cpu, rd, sel, 0);
        assert_eq!(read(&mut cpu, rd, sel), reset & !mask, "({rd},{sel}) after writing zero");
        assert_eq!(Cp0::write_mask(Cp0Reg::new(rd, sel)), mask, "spec mask of ({rd},{sel})");
    }
}

#[test]
fn every_register_is_listed_hooked_reserved_or_unlisted() {
    let mut listed = 0;
    for rd in 0..32u8 {
        for sel in 0..8u8 {
            let reg = Cp0Reg::new(rd, sel);
            let known = PLAIN.iter().any(|&(r, s, _, _)| (r, s) == (rd, sel)) || HOOKED.contains(&(rd, sel));
            let reserved = RESERVED.contains(&(rd, sel));
            assert_eq!(reg.name().is_some(), known, "({rd},{sel}) listed in the spec");
            assert_eq!(reg.is_reserved(), reserved, "({rd},{sel}) reserved");
            let mut cpu = reset_cpu();
            if reserved {
                let pc = cpu.pc;
                let outcome = cpu.execute(mfc0(2, rd.into(), sel.into()), None);
                assert_eq!(outcome, Outcome::Exception(ExcCode::RI), "mfc0 ({rd},{sel})");
                cpu.pc = pc;
                cpu.cp0.status = 0;
                let outcome = cpu.execute(mtc0(2, rd.into(), sel.into()), None);
                assert_eq!(outcome, Outcome::Exception(ExcCode::RI), "mtc0 ({rd},{sel})");
            } else if !known {
                let before = cpu.clone();
                write(&mut cpu, rd, sel, 0x1234_5678);
                let mut expected = before;
                expected.pc = expected.pc.wrapping_add(4);
                expected.gpr[3] = 0x1234_5678;
                assert_eq!(cpu, expected, "mtc0 ({rd},{sel}) changes nothing");
                assert_eq!(read(&mut cpu, rd, sel), UNLISTED_READ, "mfc0 ({rd},{sel})");
            } else {
                listed += 1;
            }
        }
    }
    assert_eq!(listed, PLAIN.len() + HOOKED.len());
}

#[test]
fn index_ignores_out_of_range_writes_and_keeps_p() {
    let mut cpu = reset_cpu();
    assert_eq!(read(&mut cpu, 0, 0), 0);
    write(&mut cpu, 0, 0, 7);
    assert_eq!(read(&mut cpu, 0, 0), 7);
    write(&mut cpu, 0, 0, 16);
    assert_eq!(read(&mut cpu, 0, 0), 7, "16 is ignored");
    write(&mut cpu, 0, 0, 0xFFFF_FFFF);
    assert_eq!(read(&mut cpu, 0, 0), 7, "bits 30:0 >= 16 are ignored");
    write(&mut cpu, 0, 0, 0x8000_0003);
    assert_eq!(read(&mut cpu, 0, 0), 3, "P cannot be written");
    cpu.cp0.index = 0x8000_0003;
    write(&mut cpu, 0, 0, 5);
    assert_eq!(read(&mut cpu, 0, 0), 0x8000_0005, "P is kept");
}

#[test]
fn random_follows_qemus_lcg() {
    let mut cpu = reset_cpu();
    let seq: Vec<u32> = (0..5).map(|_| read(&mut cpu, 1, 0)).collect();
    assert_eq!(seq, [6, 14, 1, 11, 2]);
    // mfc0 $0 does not advance it.
    let lcg = cpu.lcg;
    assert_eq!(cpu.execute(mfc0(0, 1, 0), None), Outcome::Continue);
    assert_eq!(cpu.lcg, lcg);
    // Writes are ignored; the stored field keeps its reset value.
    write(&mut cpu, 1, 0, 3);
    assert_eq!(cpu.cp0.random, 15);
    // Never the same value twice in a row, always in [Wired, 15].
    write(&mut cpu, 6, 0, 10);
    let mut prev = cpu.lcg.prev;
    for _ in 0..200 {
        let v = read(&mut cpu, 1, 0);
        assert!((10..16).contains(&v), "{v}");
        assert_ne!(v, prev);
        prev = v;
    }
    write(&mut cpu, 6, 0, 15);
    let lcg = cpu.lcg;
    assert_eq!(read(&mut cpu, 1, 0), 15);
    assert_eq!(cpu.lcg, lcg, "with one random entry the LCG does not run");
}

#[test]
fn wired_is_modulo_16_and_does_not_touch_random() {
    let mut cpu = reset_cpu();
    write(&mut cpu, 6, 0, 0x23);
    assert_eq!(read(&mut cpu, 6, 0), 3);
    assert_eq!(cpu.cp0.random, 15);
}

#[test]
fn pagemask_accepts_only_the_24kf_page_sizes() {
    let mut cpu = reset_cpu();
    for (value, expected) in [
        (0x0000_6000, 0x0000_6000),
        (0x0000_2000, 0), // an odd number of ones (recorded on QEMU)
        (0x0000_E000, 0),
        (0x01FF_E000, 0x01FF_E000), // 12 ones
        (0x00FF_E000, 0),           // 11 ones
        (0x1FFF_E000, 0x1FFF_E000),
        (0xFFFF_FFFF, 0x1FFF_E000),
        (0x0000_1FFF, 0),
        (0x0000_4000, 0),
        (0x0000_A000, 0),
        (0x0001_E000, 0x0001_E000),
    ] {
        cpu.cp0.pagemask = 0x6000;
        write(&mut cpu, 5, 0, value);
        assert_eq!(read(&mut cpu, 5, 0), expected, "write 0x{value:08x}");
    }
}

#[test]
fn compare_write_clears_the_timer_interrupt() {
    let mut cpu = reset_cpu();
    cpu.cp0.cause = 0x4000_8100; // TI, IP7, IP1
    write(&mut cpu, 11, 0, 0x1234);
    assert_eq!(cpu.cp0.compare, 0x1234);
    assert_eq!(cpu.cp0.cause, 0x0000_0100);
}

#[test]
fn cause_keeps_hardware_bits() {
    let mut cpu = reset_cpu();
    cpu.cp0.cause = 0x8000_7C28; // BD, IP6:2, ExcCode 10
    write(&mut cpu, 13, 0, 0xFFFF_FFFF);
    assert_eq!(cpu.cp0.cause, 0x8000_7C28 | 0x08C0_0300);
    write(&mut cpu, 13, 0, 0);
    assert_eq!(cpu.cp0.cause, 0x8000_7C28);
}

#[test]
fn debug_register_and_debug_mode() {
    let mut cpu = reset_cpu();
    assert_eq!(read(&mut cpu, 23, 0), 0x0200_8000);
    write(&mut cpu, 23, 0, 0xFFFF_FFFF);
    assert!(cpu.debug_mode);
    assert_eq!(read(&mut cpu, 23, 0), 0x5330_8120);
    write(&mut cpu, 23, 0, 0);
    assert!(!cpu.debug_mode);
    assert_eq!(read(&mut cpu, 23, 0), 0x0000_8000);
}

#[test]
fn lladdr_reads_zero_after_eret() {
    let mut cpu = reset_cpu();
    cpu.cp0.status = 0x2; // EXL
    cpu.cp0.epc = 0x8000_2000;
    cpu.lladdr = 0x8000_2000;
    assert_eq!(cpu.execute(ERET, None), Outcome::Continue);
    assert_eq!(cpu.cp0.lladdr, 1);
    assert_eq!(cpu.lladdr, 1);
    assert_eq!(read(&mut cpu, 17, 0), 0);
    cpu.cp0.lladdr = 0x0001_2340;
    assert_eq!(read(&mut cpu, 17, 0), 0x1234);
}

#[test]
fn ebase_keeps_its_top_bits_in_both_maps() {
    let mut cpu = reset_cpu();
    write(&mut cpu, 15, 1, 0xFFFF_FFFF);
    assert_eq!(read(&mut cpu, 15, 1), 0xBFFF_F000);
    let mut guest = Cpu::new(AddressMap::SHIFTED);
    assert_eq!(guest.cp0.ebase, 0);
    assert_eq!(guest.pc, 0x3FC0_0000);
    write(&mut guest, 15, 1, 0xFFFF_FFFF);
    assert_eq!(read(&mut guest, 15, 1), 0x3FFF_F000);
    // The kvm-guest map: a kernel writes native KSEG0 addresses; the base
    // stays in the map's KSEG0 (0x40000000-0x5FFFF000), as under KVM.
    let mut kvm = Cpu::new(AddressMap::Guest(&emulator::addrmap::KVM_GUEST));
    assert_eq!((kvm.cp0.ebase, kvm.pc), (0x4000_0000, 0x5FC0_0000));
    write(&mut kvm, 15, 1, 0x8012_3000);
    assert_eq!(read(&mut kvm, 15, 1), 0x4012_3000);
    write(&mut kvm, 15, 1, 0xFFFF_FFFF);
    assert_eq!(read(&mut kvm, 15, 1), 0x5FFF_F000);
}

#[test]
fn mfc0_ignores_bits_10_to_3() {
    let mut cpu = reset_cpu();
    assert_eq!(cpu.execute(mfc0(2, 15, 0) | 0x7F8, None), Outcome::Continue);
    assert_eq!(cpu.gpr[2], 0x0001_9300);
}

#[test]
fn raw_get_and_set() {
    let mut cp0 = Cp0::RESET;
    assert_eq!(cp0.get(Cp0Reg::STATUS), Some(0x0040_0004));
    assert!(cp0.set(Cp0Reg::new(28, 6), 0xFFFF_FFFF), "TagLo alias");
    assert_eq!(cp0.taglo, 0xFFFF_FFFF, "set stores raw");
    assert_eq!(cp0.get(Cp0Reg::new(28, 2)), Some(0xFFFF_FFFF));
    assert!(!cp0.set(Cp0Reg::new(20, 0), 1));
    assert_eq!(cp0.get(Cp0Reg::new(20, 0)), None);
    assert_eq!(Cp0::reset_value(Cp0Reg::CONFIG1), Some(0x9E19_0C8F));
    cp0.set_status_ksu(2);
    assert_eq!(cp0.status, 0x0040_0014);
    assert_eq!(cp0.status_ksu(), 2);
    cp0.reset();
    assert_eq!(cp0, Cp0::RESET);
}

#[test]
fn peek_reads_without_side_effects() {
    let mut cpu = reset_cpu();
    let before = cpu.clone();
    assert_eq!(cpu.cp0_peek(Cp0Reg::RANDOM), Some(6));
    assert_eq!(cpu.cp0_peek(Cp0Reg::RANDOM), Some(6), "the LCG did not move");
    assert_eq!(cpu, before);
    assert_eq!(cpu.cp0_peek(Cp0Reg::new(5, 5)), None);
    assert_eq!(cpu.cp0_peek(Cp0Reg::new(20, 0)), Some(UNLISTED_READ));
    cpu.debug_mode = true;
    assert_eq!(cpu.cp0_peek(Cp0Reg::DEBUG), Some(0x4200_8000));
    assert_eq!(read(&mut cpu, 1, 0), 6);
}

/// The bug class that broke Xvisor's port (Status read back as Cause): give
/// every register its own value on one CPU, then read them all back.
#[test]
fn registers_do_not_alias_each_other() {
    let mut cpu = reset_cpu();
    let value_for = |i: usize, rd: u8| {
        let v = 0x9E37_79B9u32.wrapping_mul(i as u32 + 1).rotate_left(u32::from(rd));
        // Keep Status in kernel mode (ERL) so the following mtc0s still run.
        if rd == 12 { v | 0x4 } else { v }
    };
    for (i, &(rd, sel, _, _)) in PLAIN.iter().enumerate() {
        write(&mut cpu, rd, sel, value_for(i, rd));
    }
    // Aliased selects (TagLo 28.0/2/4/6, ...) share one register: the last
    // write wins for all of them.
    let mut expected = std::collections::BTreeMap::new();
    for (i, &(rd, sel, reset, mask)) in PLAIN.iter().enumerate() {
        let name = Cp0Reg::new(rd, sel).name().unwrap();
        expected.insert(name, (reset & !mask) | (value_for(i, rd) & mask));
    }
    for &(rd, sel, _, _) in PLAIN {
        let name = Cp0Reg::new(rd, sel).name().unwrap();
        assert_eq!(read(&mut cpu, rd, sel), expected[name], "({rd},{sel}) {name}");
    }
}

#[test]
fn listed_registers() {
    assert_eq!(Cp0Reg::LISTED.len(), PLAIN.len() + HOOKED.len());
    assert!(Cp0Reg::LISTED.windows(2).all(|w| w[0] < w[1]));
    assert!(Cp0Reg::LISTED.iter().all(|r| r.name().is_some()));
}

#[test]
fn the_view_registers_are_entryhi_status_and_debug() {
    let view: Vec<Cp0Reg> = (0..256u16).map(|k| Cp0Reg::new((k >> 3) as u8, k as u8)).filter(|r| r.changes_view()).collect();
    assert_eq!(view, [Cp0Reg::ENTRYHI, Cp0Reg::STATUS, Cp0Reg::DEBUG]);
}
