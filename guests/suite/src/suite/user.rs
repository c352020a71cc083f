//! Guest user mode: entered with eret (KSU=2), code and data in a useg
//! mapping, and the exceptions user code raises (syscall, break, address
//! errors above 0x80000000, CpU on CP0 access, RDHWR and HWREna, TLB
//! refill and ASID isolation).
use super::map::USER_LIMIT;
use super::rt::{self, entry_lo, mtc0, user, Entry, LO_C3, LO_D, LO_V, USER_DATA_PA, USER_DATA_VA, USER_VA};
use super::{code, eq, expect, vec, yes, Case, Outcome};

pub const CASES: &[Case] = &[
    Case { name: "user.eret_enters_user_mode_syscall_returns", run: syscall },
    Case { name: "user.break", run: break_ },
    Case { name: "user.syscall_in_delay_slot", run: syscall_in_slot },
    Case { name: "user.mapped_load_store", run: mapped_data },
    Case { name: "user.load_kernel_address_adel", run: load_kernel },
    Case { name: "user.store_kernel_address_ades", run: store_kernel },
    Case { name: "user.fetch_kernel_address_adel", run: fetch_kernel },
    Case { name: "user.mtc0_without_cu0_cpu", run: mtc0_cpu },
    Case { name: "user.mfc0_with_cu0", run: mfc0_cu0 },
    Case { name: "user.rdhwr_enabled", run: rdhwr_enabled },
    Case { name: "user.rdhwr_disabled_ri", run: rdhwr_disabled },
    Case { name: "user.tlb_refill_in_useg", run: refill },
    Case { name: "user.asid_isolation", run: asid },
    Case { name: "user.large_page_64k", run: large_page },
    Case { name: "user.timer_interrupt_in_user_mode", run: timer_interrupt },
];

const ASID: u32 = 0x10;

fn syscall() -> Outcome {
    rt::map_user(ASID);
    let (v0, trap) = rt::run_user(user::SYSCALL, 41, 0, 0);
    let trap = expect(trap, vec::GENERAL, code::SYS)?;
    eq("EPC = the user syscall", trap.epc, USER_VA + user::SYSCALL + 4)?;
    eq("Status.KSU was user, EXL set", trap.status & 0x1E, rt::ST_KSU_USER | rt::ST_EXL)?;
    eq("v0 computed in user mode", v0, 42)?;
    eq("back in kernel mode", rt::status() & 0x1E, 0)
}

fn break_() -> Outcome {
    rt::map_user(ASID);
    let (_, trap) = rt::run_user(user::BREAK, 0, 0, 0);
    let trap = expect(trap, vec::GENERAL, code::BP)?;
    eq("EPC = the user break", trap.epc, USER_VA + user::BREAK)
}

fn syscall_in_slot() -> Outcome {
    rt::map_user(ASID);
    let (_, trap) = rt::run_user(user::SYSCALL_IN_SLOT, 0, 0, 0);
    let trap = expect(trap, vec::GENERAL, code::SYS)?;
    eq("EPC = the user branch", trap.epc, USER_VA + user::SYSCALL_IN_SLOT)?;
    yes("Cause.BD set", trap.bd())
}

fn mapped_data() -> Outcome {
    rt::map_user(ASID);
    rt::frame_write(USER_DATA_PA + 0x80, 0x00C0_FFEE);
    let (v0, trap) = rt::run_user(user::LOAD, USER_DATA_VA + 0x80, 0, 0);
    expect(trap, vec::GENERAL, code::SYS)?;
    eq("user load through the mapping", v0, 0x00C0_FFEE)?;
    let (_, trap) = rt::run_user(user::STORE, USER_DATA_VA + 0x84, 0xFACE_B00C, 0);
    expect(trap, vec::GENERAL, code::SYS)?;
    eq("user store reached the frame", rt::frame_read(USER_DATA_PA + 0x84), 0xFACE_B00C)?;
    // The code page is mapped without D: a store to it is a Mod exception.
    let (_, trap) = rt::run_user(user::STORE, USER_VA + 0x800, 0, 0);
    let trap = expect(trap, vec::GENERAL, code::MOD)?;
    eq("BadVAddr = the code page address", trap.badvaddr, USER_VA + 0x800)
}

fn load_kernel() -> Outcome {
    rt::map_user(ASID);
    let va = USER_LIMIT + 0x10;
    let (_, trap) = rt::run_user(user::LOAD, va, 0, 0);
    let trap = expect(trap, vec::GENERAL, code::ADEL)?;
    eq("EPC = the user load", trap.epc, USER_VA + user::LOAD)?;
    eq("BadVAddr", trap.badvaddr, va)
}

fn store_kernel() -> Outcome {
    rt::map_user(ASID);
    let va = USER_LIMIT + 0x2000_0020;
    let (_, trap) = rt::run_user(user::STORE, va, 0, 0);
    let trap = expect(trap, vec::GENERAL, code::ADES)?;
    eq("EPC = the user store", trap.epc, USER_VA + user::STORE)?;
    eq("BadVAddr", trap.badvaddr, va)
}

fn fetch_kernel() -> Outcome {
    rt::map_user(ASID);
    let target = USER_LIMIT + 0x0010_0000;
    let (_, trap) = rt::run_user(user::JUMP, target, 0, 0);
    let trap = expect(trap, vec::GENERAL, code::ADEL)?;
    eq("EPC = the target", trap.epc, target)?;
    eq("BadVAddr = the target", trap.badvaddr, target)?;
    yes("Cause.BD clear", !trap.bd())
}

fn mtc0_cpu() -> Outcome {
    rt::map_user(ASID);
    let (_, trap) = rt::run_user(user::MTC0, 0, 0, 0);
    let trap = expect(trap, vec::GENERAL, code::CPU)?;
    eq("EPC = the mtc0", trap.epc, USER_VA + user::MTC0)?;
    eq("Cause.CE = 0", trap.ce(), 0)
}

fn mfc0_cu0() -> Outcome {
    rt::map_user(ASID);
    let (v0, trap) = rt::run_user(user::MFC0_STATUS, 0, 0, rt::ST_CU0);
    expect(trap, vec::GENERAL, code::SYS)?;
    eq("user mfc0 Status sees CU0 and KSU=user", v0 & (rt::ST_CU0 | 0x1E), rt::ST_CU0 | rt::ST_KSU_USER)
}

fn rdhwr_enabled() -> Outcome {
    rt::map_user(ASID);
    mtc0!(7, 0, 0xF);
    let (ccres, trap) = rt::run_user(user::RDHWR_CCRES, 0, 0, 0);
    expect(trap, vec::GENERAL, code::SYS)?;
    eq("rdhwr CCRes", ccres, 2)?;
    let (cpunum, trap) = rt::run_user(user::RDHWR_CPUNUM, 0, 0, 0);
    expect(trap, vec::GENERAL, code::SYS)?;
    eq("rdhwr CPUNum", cpunum, 0)
}

fn rdhwr_disabled() -> Outcome {
    rt::map_user(ASID);
    mtc0!(7, 0, 0x7);
    let (_, trap) = rt::run_user(user::RDHWR_CCRES, 0, 0, 0);
    let trap = expect(trap, vec::GENERAL, code::RI)?;
    eq("EPC = the rdhwr", trap.epc, USER_VA + user::RDHWR_CCRES)
}

fn refill() -> Outcome {
    rt::map_user(ASID);
    let va = 0x0060_0010;
    let (_, trap) = rt::run_user(user::LOAD, va, 0, 0);
    let trap = expect(trap, vec::REFILL, code::TLBL)?;
    eq("BadVAddr", trap.badvaddr, va)?;
    eq("EntryHi", trap.entryhi, (va & 0xFFFF_E000) | ASID)
}

fn asid() -> Outcome {
    rt::map_user(ASID);
    // A second, non-global data mapping under another ASID.
    let va = 0x0070_0000;
    rt::tlb_write(
        2,
        Entry { hi: va | 0x11, lo0: entry_lo(USER_DATA_PA, LO_C3 | LO_V | LO_D), lo1: 0, mask: 0 },
    );
    let (_, trap) = rt::run_user(user::LOAD, va, 0, 0);
    expect(trap, vec::REFILL, code::TLBL)?;
    // The same mapping under the current ASID loads.
    rt::tlb_write(2, Entry { hi: va | ASID, lo0: entry_lo(USER_DATA_PA, LO_C3 | LO_V | LO_D), lo1: 0, mask: 0 });
    rt::frame_write(USER_DATA_PA, 0xA51D_A51D);
    let (v0, trap) = rt::run_user(user::LOAD, va, 0, 0);
    expect(trap, vec::GENERAL, code::SYS)?;
    eq("same ASID loads", v0, 0xA51D_A51D)
}

fn timer_interrupt() -> Outcome {
    rt::map_user(ASID);
    rt::arm_timer(0x0001_0000);
    // The spin would end in a syscall after some seconds if no interrupt came.
    let (_, trap) = rt::run_user(user::SPIN, 0x1000_0000, 0, rt::ST_IM7 | rt::ST_IE);
    let trap = expect(trap, vec::GENERAL, code::INT)?;
    yes("Cause.TI", trap.cause & rt::CAUSE_TI != 0)?;
    eq("Status.KSU was user", trap.status & 0x18, rt::ST_KSU_USER)?;
    let spin = USER_VA + user::SPIN;
    yes("EPC in the user spin loop", (spin..spin + 12).contains(&trap.epc))?;
    eq("back in kernel mode, IE cleared", rt::status() & 0x1F, 0)
}

fn large_page() -> Outcome {
    rt::map_user(ASID);
    // A pair of 64 KiB pages at useg 0x00800000 -> frames 0x00700000/0x00710000.
    let (va, pa, size) = (0x0080_0000, 0x0070_0000, 0x1_0000);
    let entry = Entry {
        hi: va | ASID,
        lo0: entry_lo(pa, LO_C3 | LO_V | LO_D),
        lo1: entry_lo(pa + size, LO_C3 | LO_V | LO_D),
        mask: 0x1_E000,
    };
    rt::tlb_write(3, entry);
    rt::frame_write(pa + size - 4, 0x6464_0001);
    let (v0, trap) = rt::run_user(user::LOAD, va + size - 4, 0, 0);
    expect(trap, vec::GENERAL, code::SYS)?;
    eq("user load at the end of the even page", v0, 0x6464_0001)?;
    let (_, trap) = rt::run_user(user::STORE, va + size + 0xFFF0, 0x6464_0002, 0);
    expect(trap, vec::GENERAL, code::SYS)?;
    eq("user store at the end of the odd page", rt::frame_read(pa + 2 * size - 0x10), 0x6464_0002)?;
    let (_, trap) = rt::run_user(user::LOAD, va + 2 * size, 0, 0);
    let trap = expect(trap, vec::REFILL, code::TLBL)?;
    eq("BadVAddr just past the pair", trap.badvaddr, va + 2 * size)
}
