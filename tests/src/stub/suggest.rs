//! "Did you mean" suggestions for unknown options, as the real CLI words them.

/// Commander's `suggestSimilar` (Damerau-Levenshtein, distance < 3, similarity > 0.4).
pub(super) fn suggestion(word: &str, candidates: &[&str]) -> String {
    let w = word.trim_start_matches("--");
    let mut best = 3usize;
    let mut similar: Vec<&str> = Vec::new();
    for c in candidates {
        if c.len() <= 1 {
            continue;
        }
        let d = edit_distance(w, c);
        let len = w.chars().count().max(c.chars().count());
        let sim = (len as f64 - d as f64) / len as f64;
        if sim > 0.4 {
            if d < best {
                best = d;
                similar = vec![c];
            } else if d == best {
                similar.push(c);
            }
        }
    }
    similar.sort();
    similar.dedup();
    match similar.len() {
        0 => String::new(),
        1 => format!("\n(Did you mean --{}?)", similar[0]),
        _ => format!(
            "\n(Did you mean one of {}?)",
            similar
                .iter()
                .map(|c| format!("--{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}
