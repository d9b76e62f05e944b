//! [`Tool`]: one custom tool served to the agent from the caller's process.

use std::fmt;
use std::sync::Arc;

use ampere_core::callbacks::mcp_server::{ToolResult, ToolSpec};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::async_call::BoxFuture;

/// What a tool handler may return: a [`ToolResult`], or a `Result<ToolResult, E>` whose
/// error the agent sees as the tool's error result (its `Display` text).
pub trait IntoToolResult {
    /// The result the agent sees.
    fn into_tool_result(self) -> ToolResult;
}

impl IntoToolResult for ToolResult {
    fn into_tool_result(self) -> ToolResult {
        self
    }
}

impl<E: fmt::Display> IntoToolResult for Result<ToolResult, E> {
    fn into_tool_result(self) -> ToolResult {
        self.unwrap_or_else(|e| ToolResult::error(e.to_string()))
    }
}

#[derive(Clone)]
pub(crate) enum ToolRun {
    Sync(Arc<dyn Fn(Value) -> ToolResult + Send + Sync>),
    Async(Arc<dyn Fn(Value) -> BoxFuture<ToolResult> + Send + Sync>),
}

/// One custom tool: its name, description and input JSON Schema (what the agent sees), and
/// the handler that runs each call in the caller's process. Register it with the `Amp`
/// builder's `tool(..)`; ampere serves every registered tool to the CLI as the in-process
/// MCP server `ampere` (see the builder docs).
///
/// Handlers run one call per thread (sync handlers) or as a task on the caller's runtime
/// (async handlers, async runtimes), so calls in flight do not wait for one another. A
/// handler that returns an error or panics gives the agent a tool error result (the
/// error's text, or `the tool NAME panicked`); the run goes on. Arguments that do not fit a
/// typed tool's input type are a tool error naming the problem.
///
/// ```
/// use ampere_runtime_common::{reexports::ToolResult, Tool};
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Add { a: i64, b: i64 }
///
/// let add = Tool::typed("add", "Adds two integers", |input: Add| {
///     input.a.checked_add(input.b)
///         .map(|sum| ToolResult::text(sum.to_string()))
///         .ok_or("the sum overflows")
/// });
/// assert_eq!(add.name(), "add");
/// assert_eq!(add.input_schema()["type"], "object");
/// ```
#[derive(Clone)]
pub struct Tool {
    pub(crate) spec: ToolSpec,
    pub(crate) run: ToolRun,
}

impl fmt::Debug for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tool")
            .field("name", &self.spec.name)
            .field("async", &matches!(self.run, ToolRun::Async(_)))
            .finish_non_exhaustive()
    }
}

fn decode<I: DeserializeOwned>(name: &str, arguments: Value) -> Result<I, ToolResult> {
    serde_json::from_value(arguments)
        .map_err(|e| ToolResult::error(format!("invalid input for the tool {name}: {e}")))
}

fn schema_of<I: schemars::JsonSchema>() -> Value {
    schemars::schema_for!(I).to_value()
}

impl Tool {
    /// A tool whose input is any JSON object, described by `input_schema` (a JSON Schema
    /// object schema), run by a plain function.
    #[must_use]
    pub fn new<F, O>(
        name: impl Into<String>,
        description: impl Into<String>,
        input_schema: Value,
        handler: F,
    ) -> Tool
    where
        F: Fn(Value) -> O + Send + Sync + 'static,
        O: IntoToolResult,
    {
        Tool {
            spec: ToolSpec {
                name: name.into(),
                description: description.into(),
                input_schema,
            },
            run: ToolRun::Sync(Arc::new(move |v| handler(v).into_tool_result())),
        }
    }

    /// A tool with a typed input: its schema derived from `I` with `schemars`, each call's
    /// arguments deserialized into `I` (arguments that do not fit are a tool error).
    #[must_use]
    pub fn typed<I, F, O>(
        name: impl Into<String>,
        description: impl Into<String>,
        handler: F,
    ) -> Tool
    where
        I: DeserializeOwned + schemars::JsonSchema,
        F: Fn(I) -> O + Send + Sync + 'static,
        O: IntoToolResult,
    {
        let name = name.into();
        let tool_name = name.clone();
        Tool::new(name, description, schema_of::<I>(), move |v| {
            match decode::<I>(&tool_name, v) {
                Ok(input) => handler(input).into_tool_result(),
                Err(e) => e,
            }
        })
    }

    /// [`Tool::new`] with an async handler, run as a task on the caller's runtime (under
    /// the blocking runtime, on the call's own thread).
    #[must_use]
    pub fn new_async<F, Fut, O>(
        name: impl Into<String>,
        description: impl Into<String>,
        input_schema: Value,
        handler: F,
    ) -> Tool
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = O> + Send + 'static,
        O: IntoToolResult,
    {
        let run = move |v| -> BoxFuture<ToolResult> {
            let fut = handler(v);
            Box::pin(async move { fut.await.into_tool_result() })
        };
        Tool {
            spec: ToolSpec {
                name: name.into(),
                description: description.into(),
                input_schema,
            },
            run: ToolRun::Async(Arc::new(run)),
        }
    }

    /// [`Tool::typed`] with an async handler (see [`Tool::new_async`]).
    #[must_use]
    pub fn typed_async<I, F, Fut, O>(
        name: impl Into<String>,
        description: impl Into<String>,
        handler: F,
    ) -> Tool
    where
        I: DeserializeOwned + schemars::JsonSchema + Send + 'static,
        F: Fn(I) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = O> + Send + 'static,
        O: IntoToolResult,
    {
        let name = name.into();
        let tool_name = name.clone();
        let handler = Arc::new(handler);
        Tool::new_async(name, description, schema_of::<I>(), move |v| {
            let decoded = decode::<I>(&tool_name, v);
            let handler = Arc::clone(&handler);
            async move {
                match decoded {
                    Ok(input) => (*handler)(input).await.into_tool_result(),
                    Err(e) => e,
                }
            }
        })
    }

    /// The tool's name (unique among the registered tools).
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// What it does, for the agent.
    pub fn description(&self) -> &str {
        &self.spec.description
    }

    /// The JSON Schema of its input.
    pub fn input_schema(&self) -> &Value {
        &self.spec.input_schema
    }
}
