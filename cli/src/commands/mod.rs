//! One module per command. Each `run` takes the loaded project and the command's options and
//! returns the text for stdout; the caller writes it.

pub mod branches;
pub mod heads;
pub mod history;
pub mod show;
