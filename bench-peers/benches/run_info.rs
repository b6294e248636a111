//! What `report.py` prints beside the numbers: the machine (cores, CPU model) and its load
//! average when the run started and ended, and when the run started (the report takes only
//! results written after it, so a table never mixes runs).

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// `target/criterion/peers-run.json`, where criterion writes its results.
fn path() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"),
            PathBuf::from,
        )
        .join("criterion")
        .join("peers-run.json")
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Records the start of a run.
pub fn start() -> Value {
    let info = json!({
        "started_unix": SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        "nproc": std::thread::available_parallelism().map_or(0, usize::from),
        "cpu": cpu_model(),
        "load_start": load_average(),
        "args": std::env::args().skip(1).collect::<Vec<_>>(),
    });
    write(&info);
    info
}

/// Records the end of a run.
pub fn finish(mut info: Value, checksum: u64) {
    if let Some(object) = info.as_object_mut() {
        object.insert("load_end".into(), load_average().into());
        object.insert("checksum".into(), checksum.into());
    }
    write(&info);
}

fn write(info: &Value) {
    let path = path();
    let written = path
        .parent()
        .map(std::fs::create_dir_all)
        .transpose()
        .and_then(|_| std::fs::write(&path, info.to_string()));
    if let Err(e) = written {
        eprintln!("peers: cannot write {}: {e}", path.display());
    }
}
