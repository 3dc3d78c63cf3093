//! Parse, run, and turn any error into one line on stderr and an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    extramile::commands::completion::complete_if_asked();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if extramile::cli::format_given_twice(&args) {
        eprintln!("error: the argument '--format <FORMAT>' cannot be used multiple times");
        return ExitCode::from(2);
    }
    let cli = extramile::cli::Cli::parse_from(args);
    if cli.command.as_ref().is_none_or(|c| c.reads_a_window()) {
        extramile::memory::back_heap_with_huge_pages();
    } else {
        extramile::memory::map_big_blocks_apart();
    }
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
