//! `aludel-example-app-file new|open|add|list FILE [TEXT]`: a tiny notes application whose
//! documents are SQLite files.

use std::path::Path;
use std::process::ExitCode;

use aludel_example_app_file::{add_note, create, notes, open};

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: aludel-example-app-file new FILE | open FILE | add FILE TEXT | list FILE";
    let (command, file) = match args.as_slice() {
        [_, command, file, ..] => (command.as_str(), Path::new(file)),
        _ => return Err(usage.to_string()),
    };
    match command {
        "new" => {
            create(file).map_err(|e| e.to_string())?;
            println!("created {}", file.display());
        }
        "open" => {
            let (_, upgraded) = open(file).map_err(|e| e.to_string())?;
            if upgraded.is_empty() {
                println!("{} is in the current format", file.display());
            } else {
                println!(
                    "upgraded {} in place ({})",
                    file.display(),
                    upgraded.join(", ")
                );
            }
        }
        "add" => {
            let text = args.get(3).ok_or(usage)?;
            let (mut conn, _) = open(file).map_err(|e| e.to_string())?;
            add_note(&mut conn, text, &[]).map_err(|e| e.to_string())?;
        }
        "list" => {
            let (mut conn, _) = open(file).map_err(|e| e.to_string())?;
            for note in notes(&mut conn).map_err(|e| e.to_string())? {
                println!("{} [{}]", note.body, note.tags);
            }
        }
        _ => return Err(usage.to_string()),
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
