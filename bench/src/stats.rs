//! Small statistics and process helpers shared by the cases.

use std::time::Duration;

/// The `q` quantile (0..=1) of `sorted` (nearest rank); 0 when empty.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Sorts a sample in place (NaN-free input) and returns it.
pub fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// Best, median and worst of a set of per-round figures, as "median (best–worst)".
pub fn spread(values: &[f64], digits: usize) -> String {
    let s = sorted(values.to_vec());
    format!(
        "{:.d$} ({:.d$}–{:.d$})",
        quantile(&s, 0.5),
        s.first().copied().unwrap_or(0.0),
        s.last().copied().unwrap_or(0.0),
        d = digits
    )
}

/// The median of a sample.
pub fn median(values: &[f64]) -> f64 {
    quantile(&sorted(values.to_vec()), 0.5)
}

/// User + system CPU time this process has used so far.
pub fn cpu_self() -> Duration {
    rusage(libc::RUSAGE_SELF)
}

/// User + system CPU time of this process's reaped children so far.
pub fn cpu_children() -> Duration {
    rusage(libc::RUSAGE_CHILDREN)
}

/// Voluntary + involuntary context switches of this process so far.
pub fn context_switches() -> (i64, i64) {
    // SAFETY: getrusage only writes the struct we hand it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_SELF is a valid `who`.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    (usage.ru_nvcsw, usage.ru_nivcsw)
}

/// The `read(2)`-family calls this process (every thread) has made so far (`syscr` in
/// `/proc/self/io`), if the kernel counts them.
pub fn read_calls() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("syscr:"))
        .and_then(|v| v.trim().parse().ok())
}

fn rusage(who: libc::c_int) -> Duration {
    // SAFETY: getrusage only writes the struct we hand it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; `who` is RUSAGE_SELF or RUSAGE_CHILDREN.
    if unsafe { libc::getrusage(who, &mut usage) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Raises the soft open-file limit to the hard one (5,000 connections need it).
pub fn raise_nofile() {
    // SAFETY: getrlimit/setrlimit read and write the struct we hand them.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// The soft open-file limit now in force.
pub fn nofile() -> u64 {
    // SAFETY: getrlimit writes the struct we hand it.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur
    }
}

/// One line describing the machine (cores, kernel, fd limit).
pub fn machine_line() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    format!(
        "# machine: {cores} cores ({model}), Linux {}, RLIMIT_NOFILE {}",
        kernel.trim(),
        nofile()
    )
}
