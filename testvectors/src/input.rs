//! What the recorder is asked to run: one [`Input`] per vector, and their
//! encoding as the binary blob QEMU loads at physical 0x0100_0000.

/// The landing pad (see the recorder): a page of `jalr k0, k1; nop` pairs at
/// physical 0x0040_0000, seen at these two addresses. Tests start at +0x800.
pub const PAD_KERNEL: u32 = 0x8040_0000;
pub const PAD_USER: u32 = 0x0040_0000;
pub const TEST_OFFSET: u32 = 0x800;

/// The CP0 state every vector starts from (rd, sel, value), written in this
/// order before the vector's own values (which replace these in place).
/// Debug first (leaves debug mode), Cause before Count (DC=1 freezes Count),
/// Compare after Count, Status last.
pub const BASE_CP0: &[(u8, u8, u32)] = &[
    (23, 0, 0),
    (13, 0, 0x0800_0000),
    (9, 0, 0x0010_0000),
    (11, 0, 0x8000_0000),
    (0, 0, 0),
    (2, 0, 0),
    (3, 0, 0),
    (4, 0, 0),
    (5, 0, 0),
    (6, 0, 0),
    (7, 0, 0),
    (10, 0, 0),
    (12, 1, 0),
    (12, 2, 0),
    (12, 3, 0),
    (14, 0, 0),
    (15, 1, 0x8010_0000),
    (16, 0, 2),
    (18, 0, 0),
    (18, 1, 0),
    (18, 2, 0),
    (18, 3, 0),
    (18, 4, 0),
    (18, 5, 0),
    (18, 6, 0),
    (18, 7, 0),
    (19, 0, 0),
    (19, 1, 0),
    (19, 2, 0),
    (19, 3, 0),
    (19, 4, 0),
    (19, 5, 0),
    (19, 6, 0),
    (19, 7, 0),
    (21, 0, 0),
    (24, 0, 0),
    (25, 0, 0),
    (26, 0, 0),
    (28, 0, 0),
    (28, 1, 0),
    (28, 2, 0),
    (28, 3, 0),
    (28, 4, 0),
    (28, 5, 0),
    (28, 6, 0),
    (28, 7, 0),
    (29, 0, 0),
    (29, 1, 0),
    (29, 2, 0),
    (29, 3, 0),
    (29, 4, 0),
    (29, 5, 0),
    (29, 6, 0),
    (29, 7, 0),
    (30, 0, 0),
    (31, 0, 0),
    (12, 0, 0),
];

/// The base TLB: entry i maps VPN2 0x80000000 + i * 0x2000 (in KSEG0, so it
/// never matches) with V = 0.
pub fn base_tlb(i: usize) -> [u32; 4] {
    [0x8000_0000 + i as u32 * 0x2000, 0, 0, 0]
}

/// Base GPR values: r0 = 0, rN = N * 0x01010101 (k0/k1 belong to the recorder).
pub fn base_gpr(r: usize) -> u32 {
    (r as u32).wrapping_mul(0x0101_0101)
}

#[derive(Clone, Debug)]
pub struct Input {
    /// The file the vector goes to (`cp0_mtc0`, `branch`, ...).
    pub category: &'static str,
    /// Unique within the category.
    pub name: String,
    /// The instruction under test; a branch or jump when `slot` is some.
    pub word: u32,
    pub slot: Option<u32>,
    /// Run at the user-mapped pad address and enter through ERET (Status
    /// then has EXL set in the setup, which ERET clears).
    pub via_eret: bool,
    pub gpr: [u32; 32],
    pub hi: u32,
    pub lo: u32,
    /// All 16 TLB entries (EntryHi, EntryLo0, EntryLo1, PageMask).
    pub tlb: [[u32; 4]; 16],
    /// CP0 writes in order.
    pub cp0: Vec<(u8, u8, u32)>,
}

impl Input {
    pub fn new(category: &'static str, name: impl Into<String>, word: u32) -> Input {
        let mut gpr = [0; 32];
        for (r, g) in gpr.iter_mut().enumerate() {
            *g = base_gpr(r);
        }
        Input {
            category,
            name: name.into(),
            word,
            slot: None,
            via_eret: false,
            gpr,
            hi: 0x4849_4849,
            lo: 0x4C4F_4C4F,
            tlb: core::array::from_fn(base_tlb),
            cp0: BASE_CP0.to_vec(),
        }
    }

    /// The address the test instruction runs at.
    pub fn entry(&self) -> u32 {
        let pad = if self.via_eret { PAD_USER } else { PAD_KERNEL };
        pad + TEST_OFFSET + if self.slot.is_some() { 0 } else { 4 }
    }

    /// Sets CP0 (rd, sel) in the setup: replaces the base write, or adds
    /// one just before Status.
    pub fn set_cp0(mut self, rd: u8, sel: u8, value: u32) -> Input {
        if let Some(w) = self.cp0.iter_mut().find(|w| w.0 == rd && w.1 == sel) {
            w.2 = value;
        } else {
            let at = self.cp0.len() - 1;
            self.cp0.insert(at, (rd, sel, value));
        }
        self
    }

    pub fn cp0_value(&self, rd: u8, sel: u8) -> Option<u32> {
        self.cp0.iter().find(|w| w.0 == rd && w.1 == sel).map(|w| w.2)
    }

    pub fn set_gpr(mut self, r: usize, value: u32) -> Input {
        assert!(r != 0 && r != 26 && r != 27, "r{r} is not the test's");
        self.gpr[r] = value;
        self
    }

    pub fn set_tlb(mut self, i: usize, entry: [u32; 4]) -> Input {
        self.tlb[i] = entry;
        self
    }

    pub fn with_slot(mut self, slot: u32) -> Input {
        self.slot = Some(slot);
        self
    }

    /// Runs the test in user or supervisor mode (`ksu` = 2 or 1) from the
    /// user-mapped pad: TLB entry 0 maps it (global, identity), Wired = 1 so
    /// TLBWR leaves it alone.
    pub fn in_mode(mut self, ksu: u32, status: u32) -> Input {
        self.via_eret = true;
        self.tlb[0] = user_pad_mapping();
        self = self.set_cp0(6, 0, 1);
        let status = (status & !0x1E) | (ksu << 3) | 0x2;
        self.set_cp0(12, 0, status)
    }
}

/// TLB entry mapping the user pad VA to itself (4 KiB pages, V, D, G).
pub fn user_pad_mapping() -> [u32; 4] {
    let lo = |pa: u32| ((pa >> 12) << 6) | (2 << 3) | 0b111;
    [PAD_USER, lo(PAD_USER), lo(PAD_USER + 0x1000), 0]
}

pub const MAGIC: u32 = 0x5443_4556;

/// The blob: magic, length in words, count, then one record per input
/// (layout in the recorder's `run.rs`).
pub fn encode(inputs: &[Input]) -> Vec<u8> {
    let mut w = vec![MAGIC, 0, inputs.len() as u32];
    for input in inputs {
        let start = w.len();
        w.push(0);
        w.push(u32::from(input.via_eret));
        w.push(input.entry());
        match input.slot {
            Some(slot) => w.extend([input.word, slot]),
            None => w.extend([0, input.word]),
        }
        w.extend(input.gpr);
        w.extend([input.hi, input.lo]);
        w.push(16);
        for (i, e) in input.tlb.iter().enumerate() {
            w.push(i as u32);
            w.extend(e);
        }
        w.push(input.cp0.len() as u32);
        for &(rd, sel, v) in &input.cp0 {
            // Entering through ERET needs EPC = the test.
            let v = if input.via_eret && (rd, sel) == (14, 0) { input.entry() } else { v };
            w.extend([u32::from(rd) * 8 + u32::from(sel), v]);
        }
        w[start] = (w.len() - start) as u32;
    }
    w[1] = w.len() as u32;
    w.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The boot-ROM offsets of the BEV=1 exception vectors, and the recorder
/// stubs (in its vector page) that record them.
pub const BEV_VECTORS: [(u32, u32); 5] =
    [(0x200, 0x8010_0A00), (0x300, 0x8010_0A20), (0x380, 0x8010_0A40), (0x400, 0x8010_0A60), (0x480, 0x8010_0A80)];

/// Malta's 4 MiB boot flash for the recording: empty except a jump (through
/// k1, which the tests do not own) at each BEV vector to the recorder's
/// stub. QEMU's `-kernel` boot code is written over the start of it.
pub fn flash_image() -> Vec<u8> {
    let mut flash = vec![0u8; 4 << 20];
    for (rom, stub) in BEV_VECTORS {
        let words = [0x3C1B_0000 | (stub >> 16), 0x377B_0000 | (stub & 0xFFFF), (27 << 21) | 0x08, 0];
        for (i, w) in words.iter().enumerate() {
            let at = rom as usize + i * 4;
            flash[at..at + 4].copy_from_slice(&w.to_le_bytes());
        }
    }
    flash
}
