//! A fresh random corpus of permission rule sets × tool calls, decided by the real, pinned
//! Amp CLI (`amp permissions test TOOL --json [--context C] --KEY VALUE ...`), against
//! ampere's local evaluator (`ampere_core::permission::evaluate`).
//!
//! Ignored by default (it runs the CLI once per case, about a second each). Re-measure the
//! agreement at any time with
//!
//! ```text
//! AMPERE_CORPUS_CASES=400 cargo test -p ampere-tests --test conformance_permission_corpus \
//!     -- --ignored --nocapture
//! ```
//!
//! `AMPERE_CORPUS_CASES` (default 400) sets the corpus size and `AMPERE_CORPUS_SEED` replays
//! a corpus (by default the seed comes from the clock and is printed). The test prints
//! `agreement: N/M (seed S)` and every disagreement (rules, call, both answers), and fails
//! unless every case agrees. Cases mix contexts: `thread`, `subagent`, and no `--context`
//! at all (then the CLI matches only rules without a `context`). A flag with an empty value
//! is left out of the call, as `amp permissions test` does.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use ampere_core::permission::{
    evaluate, Evaluation, MatchCondition, Permission, PermissionContext, ToolCall,
};
use ampere_tests::real_cli::{ensure_real_cli, offline_command, scratch_home};
use serde_json::{json, Value};

/// xorshift64*: small, seedable, good enough for a corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const RULE_TOOLS: &[&str] = &["Bash", "X", "Y", "mcp__s__t", "*", "mcp__*", "B*", "?"];
const CALL_TOOLS: &[&str] = &["Bash", "X", "Y", "mcp__s__t", "Bx"];
const KEYS: &[&str] = &["cmd", "a", "path"];
const PATTERNS: &[&str] = &["ls *", "*", "1", "x?", "rm -rf *", "/etc/*", "2"];
const VALUES: &[&str] = &["ls -la", "1", "2", "x1", "rm -rf /", "/etc/passwd", ""];

fn random_condition(rng: &mut Rng) -> MatchCondition {
    match rng.below(6) {
        0 => MatchCondition::regex(*rng.pick(&["^ls", "^x\\d$", "passwd$", "^(1|2)$"])),
        1 => {
            let n = 1 + rng.below(3);
            let items: Vec<&str> = (0..n).map(|_| *rng.pick(PATTERNS)).collect();
            MatchCondition::from(items)
        }
        _ => MatchCondition::from(*rng.pick(PATTERNS)),
    }
}

fn random_context(rng: &mut Rng) -> Option<PermissionContext> {
    match rng.below(3) {
        0 => Some(PermissionContext::Thread),
        1 => Some(PermissionContext::Subagent),
        _ => None,
    }
}

fn random_rule(rng: &mut Rng) -> Option<Permission> {
    let tool = *rng.pick(RULE_TOOLS);
    let mut b = match rng.below(3) {
        0 => Permission::allow(tool),
        1 => Permission::ask(tool),
        _ => Permission::reject(tool),
    };
    for _ in 0..rng.below(3) {
        b = b.matching(*rng.pick(KEYS), random_condition(rng));
    }
    if let Some(c) = random_context(rng) {
        b = b.in_context(c);
    }
    b.build().ok()
}

struct Case {
    rules: Vec<Permission>,
    tool: &'static str,
    args: Vec<(&'static str, &'static str)>,
    context: Option<PermissionContext>,
}

fn random_case(rng: &mut Rng) -> Case {
    let n = 1 + rng.below(4);
    let rules = (0..n).filter_map(|_| random_rule(rng)).collect();
    let mut args: Vec<(&'static str, &'static str)> = Vec::new();
    for key in KEYS {
        if rng.below(2) == 0 {
            args.push((key, *rng.pick(VALUES)));
        }
    }
    Case {
        rules,
        tool: CALL_TOOLS[rng.below(CALL_TOOLS.len())],
        args,
        context: random_context(rng),
    }
}

/// The index of the user rule the CLI matched (`None`: no user rule), or why it could not
/// be told.
fn cli_decision(bin: &Path, dir: &Path, i: usize, c: &Case) -> Result<Option<usize>, String> {
    let home = scratch_home().map_err(|e| format!("scratch home: {e}"))?;
    let settings = dir.join(format!("corpus{i}.json"));
    let doc = json!({"amp.permissions": c.rules, "amp.dangerouslyAllowAll": false});
    std::fs::write(&settings, doc.to_string()).map_err(|e| format!("write settings: {e}"))?;
    let mut cmd = offline_command(bin, home.path());
    cmd.args(["permissions", "test", c.tool, "--json", "--settings-file"])
        .arg(&settings);
    if let Some(context) = c.context {
        cmd.arg("--context").arg(context.as_str());
    }
    for (k, v) in &c.args {
        cmd.arg(format!("--{k}")).arg(v);
    }
    let out = cmd.output().map_err(|e| format!("run the CLI: {e}"))?;
    let v: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "not JSON ({e}): {} / {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    if v.get("source").and_then(Value::as_str) != Some("user") {
        return Ok(None);
    }
    let entry = v.get("matchedEntry").cloned().unwrap_or(Value::Null);
    c.rules
        .iter()
        .position(|r| r.to_value() == entry)
        .map(Some)
        .ok_or_else(|| format!("matchedEntry {entry} is none of the rules"))
}

fn local_decision(c: &Case) -> Option<usize> {
    let mut call = match c.context {
        Some(context) => ToolCall::new(c.tool).in_context(context),
        None => ToolCall::new(c.tool).without_context(),
    };
    // `amp permissions test` leaves a flag with an empty value (`--cmd ""`) out of the
    // call's arguments (its JSON shows `"arguments": {}`), so the local call does too.
    for (k, v) in c.args.iter().filter(|(_, v)| !v.is_empty()) {
        call = call.arg(*k, *v);
    }
    match evaluate(&c.rules, &call) {
        Evaluation::Matched { index, .. } => Some(index),
        _ => None,
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| s.trim().parse().ok())
}

#[test]
#[ignore = "runs the real CLI once per case; see the module docs"]
fn permission_corpus_agreement() {
    let bin = match ensure_real_cli() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("SKIP permission corpus: the real Amp CLI is not available: {e}");
            return;
        }
    };
    let total = env_u64("AMPERE_CORPUS_CASES").unwrap_or(400) as usize;
    let seed = env_u64("AMPERE_CORPUS_SEED").unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    }) | 1;
    let mut rng = Rng(seed);
    let cases: Vec<Case> = (0..total).map(|_| random_case(&mut rng)).collect();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let threads = 2;
    let results: Vec<Result<(), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (bin, dir, cases) = (&bin, dir.path(), &cases);
                s.spawn(move || {
                    cases
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| i % threads == t)
                        .map(|(i, c)| {
                            let local = local_decision(c);
                            match cli_decision(bin, dir, i, c) {
                                Ok(cli) if cli == local => Ok(()),
                                Ok(cli) => Err(format!(
                                    "case {i}: CLI matched {cli:?}, ampere {local:?}\n  rules: {}\n  call: {} {:?} context {:?}",
                                    serde_json::to_string(&c.rules).unwrap_or_default(),
                                    c.tool,
                                    c.args,
                                    c.context.map(PermissionContext::as_str)
                                )),
                                Err(e) => Err(format!("case {i}: {e}")),
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec![Err("a worker panicked".into())])
            })
            .collect()
    });
    let disagreements: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    let agreed = results.len() - disagreements.len();
    let bare = cases.iter().filter(|c| c.context.is_none()).count();
    eprintln!(
        "agreement: {agreed}/{} (seed {seed}; {bare} calls without --context)",
        results.len()
    );
    for d in &disagreements {
        eprintln!("{d}");
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} cases disagree (seed {seed})",
        disagreements.len(),
        results.len()
    );
}
