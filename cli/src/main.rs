//! The `aludel` binary; everything lives in the `aludel_cli` library.

use std::process::ExitCode;

fn main() -> ExitCode {
    aludel_cli::main_with_args(std::env::args_os())
}
