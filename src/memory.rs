//! How the allocator is set for a command: what it costs in time and in peak memory
//! depends most on how fresh memory is taken from the system (glibc on Linux; elsewhere
//! these do nothing).

/// Has glibc's allocator map every block of 128 KB or more on its own, and unmap it when
/// freed. By default it raises that size each time such a block is freed (up to 32
/// MB): once a command has let go of one big list, the next ones are built in its heap,
/// where a list that grows leaves its old copies behind and what is freed is kept. A
/// command that goes through a long history in turns (`check` reads the journal, then
/// the snapshot, then rebuilds it) would then need the sum of its turns, not the
/// largest (79 MB at a million actions, not 58).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn map_big_blocks_apart() {
    // SAFETY: mallopt sets the allocator's parameters, under its own lock.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn map_big_blocks_apart() {}

/// Has the heap of a command that reads a window (a report, what is due, a client)
/// grow in huge pages where the system offers them: such a command touches 5 to 20 MB
/// of fresh memory, and taking it a 4 KB page fault at a time was the largest part of
/// its time (3,400 faults of `report month`'s 15 ms on the benchmark's store; 340 and
/// 10 ms this way, for 2 MB more resident memory). The heap is grown by 64 MB of
/// address space at once, marked for huge pages (`MADV_HUGEPAGE`), and kept: blocks up
/// to 32 MB come from it rather than from maps of their own. Memory is still taken
/// only as it is touched, and past those 64 MB the heap grows as before. Where the
/// heap cannot grow so (a limit on memory), nothing changes. The bulk commands, and
/// a read that must rebuild the snapshot first, map big blocks apart instead, which
/// keeps their peak low.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn back_heap_with_huge_pages() {
    const GROWTH: usize = 64 << 20;
    const HUGE_PAGE: usize = 2 << 20;
    // glibc's defaults for the top pad and the map and trim thresholds.
    const DEFAULT: i32 = 128 * 1024;
    // SAFETY: mallopt sets the allocator's parameters under its own lock; sbrk(0) only
    // reads where the heap ends; the blocks are allocated here and never touched (the
    // first freed, the second kept for good); and madvise only advises the kernel about
    // the heap's own pages.
    unsafe {
        let start = libc::sbrk(0) as usize;
        libc::mallopt(libc::M_MMAP_THRESHOLD, (GROWTH / 2) as i32);
        libc::mallopt(libc::M_TRIM_THRESHOLD, (2 * GROWTH) as i32);
        libc::mallopt(libc::M_TOP_PAD, GROWTH as i32);
        // A block past the heap's end grows it by the top pad.
        const PROBE: usize = 256 << 10;
        libc::free(std::hint::black_box(libc::malloc(PROBE)));
        libc::mallopt(libc::M_TOP_PAD, DEFAULT);
        let end = libc::sbrk(0) as usize;
        if start == usize::MAX || end < start + GROWTH / 2 {
            libc::mallopt(libc::M_MMAP_THRESHOLD, DEFAULT);
            libc::mallopt(libc::M_TRIM_THRESHOLD, DEFAULT);
            return;
        }
        // Growing the heap wrote the rest's size just past that block, on a 4 KB page:
        // huge pages can only begin past the 2 MB around it. The heap below them is
        // taken by a block never used (nor touched), so the command's blocks start in
        // huge pages, not in up to 2 MB of 4 KB page faults.
        let from = (start + PROBE + 64).next_multiple_of(HUGE_PAGE);
        let to = end & !(HUGE_PAGE - 1);
        if from < to {
            libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
            std::hint::black_box(libc::malloc(from - start));
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn back_heap_with_huge_pages() {}
