//! The public surface of the three runtimes, proved identical by compiling one piece of
//! usage code against each: [`same_surface!`](crate::same_surface) expands the same calls
//! (every builder method, every `Amp` / `Execution` / `Session` / `ActionExecutor` method,
//! the free functions and the re-exported types) against a runtime crate, with `.await` after
//! each async call for `ampere_tokio` and `ampere_async_std` and nothing for
//! `ampere_blocking`. `tests/tests/surface.rs` instantiates it three times, so a name, an
//! argument or a return type that differs between the runtimes fails to compile.
//!
//! Non-generic synchronous methods are pinned as function pointers (`fn(&mut Session)` for
//! `close_input`, `fn(AmpBuilder, Duration) -> AmpBuilder` for a setter), which fixes their
//! receivers and types exactly; the rest are called with the argument types a user passes
//! and their results bound to the expected types.
//!
//! The re-exported core types come from one list (`ampere_runtime_common::reexports`), so
//! they cannot differ; they are named here all the same, as a user would.

/// Expands usage code of the runtime crate `$rt` in a new module `$module`:
/// `same_surface!(tokio_surface, ampere_tokio, [async], [.await]);` or
/// `same_surface!(blocking_surface, ampere_blocking, [], []);`. The module has
/// `pub fn builders() -> ($rt::Amp, $rt::ActionExecutor)` (callable: it only builds) and
/// usage functions that are compiled, never run.
#[macro_export]
macro_rules! same_surface {
    ($module:ident, $rt:ident, [$($asyncness:tt)*], [$($aw:tt)*]) => {
        #[allow(dead_code, unused_variables, unused_mut, clippy::all)]
        pub mod $module {
            use std::path::{Path, PathBuf};
            use std::time::Duration;

            // Every re-exported type and function, by the same name.
            #[allow(unused_imports)]
            use $rt::{
                create_permission, create_user_message, execute, execute_action, run,
                ActionError, ActionExecutor, ActionExecutorBuilder, ActionRequest, AgentError,
                Amp, AmpBuilder, AmpOptions, AssistantMessage, ContentBlock, ContinueThread,
                DecodeError, DecodeErrorKind, Effort, ErrorResultMessage, Execution,
                ExecutionMode, Executor, LogLevel, MatchCondition, McpConfig, McpConfigSource,
                McpHttpServer, McpOAuth, McpServer, McpServerStatus, McpStdioServer, Message,
                Mode, MultiplayerSetting, Permission, PermissionAction, PermissionBuilder,
                PermissionOptions, Guard, GuardTrip, MAX_RESPONSE_BODY,
                PermissionContext, Prompt, ResultMessage, RetryPolicy, RunSummary, Session,
                SystemMessage, TimeoutKind, ToolCallRecord, ToolResultContent, TtlDuration,
                UnknownMessage, Usage, UserInputMessage, UserMessage, ValidationError,
                Visibility, Decision, PermissionRequest, Tool, ToolResult, ToolContent,
                IntoDecision, IntoToolResult,
            };
            #[allow(unused_imports)]
            use $rt::core as _;

            type Item = Option<Result<Message, AgentError>>;

            /// Every builder method; the clients are built, nothing runs.
            pub fn builders() -> (Amp, ActionExecutor) {
                let setters: [fn(AmpBuilder, Duration) -> AmpBuilder; 5] = [
                    AmpBuilder::permission_deadline,
                    AmpBuilder::overall_timeout,
                    AmpBuilder::idle_timeout,
                    AmpBuilder::kill_grace,
                    AmpBuilder::exit_drain_grace,
                ];
                let sizes: [fn(AmpBuilder, usize) -> AmpBuilder; 3] = [
                    AmpBuilder::max_line_len,
                    AmpBuilder::stderr_tail_bytes,
                    AmpBuilder::max_buffered_bytes,
                ];
                let build: fn(AmpBuilder) -> Amp = AmpBuilder::build;
                let new: fn() -> Amp = Amp::new;
                let builder: fn() -> AmpBuilder = Amp::builder;
                let mut b: AmpBuilder = builder()
                    .cli_path("/nonexistent/ampere/amp")
                    .cli_path(PathBuf::from("/nonexistent/ampere/amp"))
                    .temp_dir("/tmp")
                    .temp_dir(PathBuf::from("/tmp"));
                for set in setters {
                    b = set(b, Duration::from_secs(7));
                }
                for set in sizes {
                    b = set(b, 1 << 20);
                }
                // Callbacks: the handler is async in the async runtimes, plain in blocking.
                let tool: fn(AmpBuilder, Tool) -> AmpBuilder = AmpBuilder::tool;
                #[derive(serde::Deserialize, schemars::JsonSchema)]
                struct Input {
                    text: String,
                }
                b = tool(
                    b,
                    Tool::typed("echo", "Says it back", |i: Input| ToolResult::text(i.text)),
                );
                b = b.tool(Tool::new(
                    "fail",
                    "Fails",
                    serde_json::json!({"type": "object"}),
                    |_v: serde_json::Value| -> Result<ToolResult, String> { Err("no".into()) },
                ));
                b = b.permission_handler(|_request| $($asyncness)* { Decision::Allow });
                b = b.permission_handler(|_request| $($asyncness)* {
                    Err::<Decision, String>("failed".into())
                });
                let amp: Amp = build(b);
                let _: Amp = new();
                let _: Amp = Amp::default();
                let _: Amp = amp.clone();

                let xb: fn() -> ActionExecutorBuilder = ActionExecutor::builder;
                let xbuild: fn(ActionExecutorBuilder) -> ActionExecutor =
                    ActionExecutorBuilder::build;
                let executor = xbuild(
                    xb().base_url("http://127.0.0.1:9")
                        .base_url(String::from("http://127.0.0.1:9"))
                        .auth_token("token")
                        .auth_token(String::from("token")),
                );
                let _: ActionExecutor = ActionExecutor::new();
                let _: ActionExecutor = ActionExecutor::default();
                let _: ActionExecutor = executor.clone();
                let _ = format!("{amp:?} {executor:?} {:?}", xb());
                (amp, executor)
            }

            /// The accessors of an execution and a session, as function pointers.
            fn accessors() {
                let _: fn(&Execution) -> Option<u32> = Execution::pid;
                let _: fn(&Execution) -> Option<&Path> = Execution::private_dir;
                let _: fn(&Execution) -> &[String] = Execution::warnings;
                let _: fn(&Execution) -> bool = Execution::is_finished;
                let _: fn(&Session) -> Option<u32> = Session::pid;
                let _: fn(&Session) -> Option<&Path> = Session::private_dir;
                let _: fn(&Session) -> &[String] = Session::warnings;
                let _: fn(&Session) -> bool = Session::is_finished;
                let _: fn(&Session) -> bool = Session::is_input_open;
                let _: fn(&mut Session) = Session::close_input;
                let _: fn(&Amp, AmpOptions) -> Session = Amp::session;
            }

            /// Handles are `Send` (and the clients `Sync`), in every runtime.
            fn bounds() {
                fn send<T: Send + 'static>() {}
                fn send_sync<T: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
                send_sync::<Amp>();
                send_sync::<ActionExecutor>();
                send::<Execution>();
                send::<Session>();
                send::<Prompt>();
                send::<AgentError>();
                send::<ActionError>();
            }

            /// Every agent call, with the arguments a user passes.
            $($asyncness)* fn agent(amp: &Amp) -> Result<(), AgentError> {
                let id = String::from("T-00000000-0000-7000-8000-000000000000");
                let mut execution: Execution = amp.execute("text", AmpOptions::new());
                let _: Execution = amp.execute(String::from("text"), AmpOptions::default());
                let _: Execution = amp.execute(&id, AmpOptions::new());
                let _: Execution = amp.execute(Prompt::from("text"), AmpOptions::new());
                let _: Item = execution.next() $($aw)*;
                let () = execution.cancel() $($aw)*;

                let _: RunSummary = amp.run("text", AmpOptions::new()) $($aw)* ?;
                let _: RunSummary = amp.run(String::from("text"), AmpOptions::new()) $($aw)* ?;

                let mut session: Session = amp.session(AmpOptions::new());
                let () = session.send(create_user_message("turn")) $($aw)* ?;
                let () = session.send_text("turn") $($aw)* ?;
                let () = session.send_text(&id) $($aw)* ?;
                let _: Item = session.next() $($aw)*;
                session.close_input();
                let _: RunSummary = session.finish() $($aw)* ?;
                let () = amp.session(AmpOptions::new()).cancel() $($aw)*;

                let _: String = amp.thread_new(None) $($aw)* ?;
                let _: String = amp.thread_new(Some(Visibility::Private)) $($aw)* ?;
                let _: String = amp.thread_markdown("T-x") $($aw)* ?;
                let _: String = amp.thread_markdown(&id) $($aw)* ?;
                let _: String = amp.thread_multiplayer(&id, MultiplayerSetting::On) $($aw)* ?;

                let _: Execution = execute("text", AmpOptions::new());
                let _: RunSummary = run("text", AmpOptions::new()) $($aw)* ?;
                Ok(())
            }

            /// Every action call.
            $($asyncness)* fn actions(executor: &ActionExecutor) -> Result<(), ActionError> {
                let params = serde_json::json!({ "q": 1 });
                let _: serde_json::Value =
                    executor.execute("name", params.clone()) $($aw)* ?;
                let _: serde_json::Value =
                    executor.execute(String::from("name"), params.clone()) $($aw)* ?;
                let request = ActionRequest::new("name", params.clone());
                let _: serde_json::Value = executor.execute_request(request) $($aw)* ?;
                let _: serde_json::Value = execute_action("name", params) $($aw)* ?;
                Ok(())
            }
        }
    };
}
