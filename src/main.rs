//! Parse, run, and turn any error into one line on stderr and an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    map_big_blocks_apart();
    extramile::commands::completion::complete_if_asked();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if extramile::cli::format_given_twice(&args) {
        eprintln!("error: the argument '--format <FORMAT>' cannot be used multiple times");
        return ExitCode::from(2);
    }
    let cli = extramile::cli::Cli::parse_from(args);
    match extramile::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let causes: Vec<String> = err.chain().map(|c| c.to_string()).collect();
            let message = causes.join(": ");
            eprintln!("extramile: {}", extramile::render::visible(&message, false));
            ExitCode::from(extramile::error::exit_code(&err) as u8)
        }
    }
}

/// Has glibc's allocator map every block of 128 KB or more on its own, and unmap it when
/// freed. By default it raises that size each time such a block is freed (up to 32
/// MB): once a command has let go of one big list, the next ones are built in its heap,
/// where a list that grows leaves its old copies behind and what is freed is kept. A
/// command that goes through a long history in turns (`check` reads the journal, then
/// the snapshot, then rebuilds it) would then need the sum of its turns, not the
/// largest (79 MB at a million actions, not 58).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn map_big_blocks_apart() {
    // SAFETY: mallopt sets one of the allocator's parameters, under its own lock.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn map_big_blocks_apart() {}

/// Output piped into `head` that closed early is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(BrokenPipe))
            || c.downcast_ref::<csv::Error>().is_some_and(
                |e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe),
            )
    })
}
