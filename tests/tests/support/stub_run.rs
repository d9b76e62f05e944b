//! Running `amp-stub` and reading what it prints, for the `doubles_stub_*` test files
//! (shared through `#[path]`, so this is not a test target of its own).
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

pub const STUB: &str = env!("CARGO_BIN_EXE_amp-stub");

/// A JSON value that remembers object key order.
#[derive(Debug)]
pub enum Node {
    Obj(Vec<(String, Node)>),
    Arr(Vec<Node>),
    Leaf,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("json")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_str<E>(self, _: &str) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut v = Vec::new();
                while let Some(n) = a.next_element()? {
                    v.push(n);
                }
                Ok(Node::Arr(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut v = Vec::new();
                while let Some((k, n)) = a.next_entry::<String, Node>()? {
                    v.push((k, n));
                }
                Ok(Node::Obj(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl Node {
    fn keys(&self) -> Vec<&str> {
        match self {
            Node::Obj(f) => f.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Obj(f) => f.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Key order of a message, its `message`, its `usage`, and its content blocks.
pub fn skeleton(line: &str) -> Vec<Vec<String>> {
    let node: Node = serde_json::from_str(line).expect("ordered parse");
    let own = |n: &Node| n.keys().into_iter().map(String::from).collect::<Vec<_>>();
    let mut out = vec![own(&node)];
    if let Some(m) = node.get("message") {
        out.push(own(m));
        if let Some(u) = m.get("usage") {
            out.push(own(u));
        }
        if let Some(Node::Arr(blocks)) = m.get("content") {
            for b in blocks {
                out.push(own(b));
            }
        }
    }
    out
}

pub fn stub() -> Command {
    let mut cmd = Command::new(STUB);
    cmd.env_remove("AMP_STUB_SCENARIO")
        .env_remove("AMP_STUB_RECORD");
    cmd
}

pub fn run_with(mut cmd: Command, stdin: &[u8]) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn amp-stub");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

pub fn run(args: &[&str], stdin: &str) -> Output {
    let mut cmd = stub();
    cmd.args(args);
    run_with(cmd, stdin.as_bytes())
}

pub fn lines(out: &Output) -> Vec<Value> {
    let text = std::str::from_utf8(&out.stdout).expect("utf-8 stdout");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}")))
        .collect()
}

pub fn types(msgs: &[Value]) -> Vec<String> {
    msgs.iter()
        .map(|m| m["type"].as_str().unwrap_or("?").to_string())
        .collect()
}

pub fn user_line(text: &str) -> String {
    let v = serde_json::json!({"type":"user","message":{"role":"user","content":[{"type":"text","text":text}]}});
    format!("{v}\n")
}
