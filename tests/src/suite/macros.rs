//! The macros a runtime's suite file expands: [`runtime_suite!`](crate::runtime_suite),
//! [`suite_builders!`](crate::suite_builders) and [`with_exit_scenarios!`](crate::with_exit_scenarios).

/// Expands, in a test file, to one `#[test]` per scenario of the suite for the runtime
/// façade `$rt` (a type implementing [`suite::Runtime`](crate::suite::Runtime)), inside a
/// module `suite`. Each test runs `suite::scenarios::<name>::<$rt>` under
/// [`run_scenario`](crate::suite::run_scenario), with the `amp-stub` binary of this package.
///
/// `runtime_suite!(MyRt);` runs every scenario; `runtime_suite!(MyRt, only: [a, b]);` runs
/// the listed ones (for a runtime that cannot run the rest yet).
#[macro_export]
macro_rules! runtime_suite {
    ($rt:ty) => {
        $crate::runtime_suite!($rt, only: [
            // agent: messages
            echo_text,
            stream_ends_for_good,
            stream_input_turns,
            session_finish,
            session_close_input,
            run_summary_tools,
            run_summary_usage_adds_up,
            run_skips_garbage,
            run_process_error,
            run_idle_timeout,
            tool_calls_stream,
            thinking_blocks,
            thinking_off_by_default,
            unknown_types_pass_through,
            garbage_lines,
            crash_mid_stream,
            crash_partial_line,
            killed_by_signal,
            exit_nonzero_after_success,
            error_result,
            error_result_unknown_subtype,
            big_line_20mb,
            stderr_flood,
            stderr_tail_bounded,
            stderr_complete_at_exit,
            slow_drip,
            slow_drip_not_idle,
            max_line_len_small,
            // agent: timeouts, cancellation, cleanup
            idle_timeout_hang,
            overall_timeout,
            success_then_hang_is_ok,
            ignore_sigterm_kill_after_grace,
            drop_after_first_message,
            drop_ignoring_sigterm,
            default_kill_grace_5s,
            cancel_reaps_and_cleans,
            cancel_before_reading,
            cancel_after_end,
            // agent: invocation
            env_user_wins_and_sdk_version,
            env_sdk_version_user_given,
            secrets_not_on_command_line,
            argv_options,
            argv_continue_latest_and_title,
            argv_more_options,
            effort_unknown_to_cli,
            validation_bad_label,
            validation_title_with_continue,
            cli_not_found_explicit,
            cli_not_found_search,
            // thread commands
            thread_new,
            thread_new_public_is_unlisted,
            thread_markdown,
            thread_markdown_invalid_id,
            thread_multiplayer,
            thread_multiplayer_invalid_ttl,
            thread_command_fails,
            // more runs
            execute_free_function,
            concurrent_executions,
            exit_zero_without_result,
            empty_stream_input,
            big_prompt,
            session_send_after_exit,
            session_error_result,
            session_drop_midway,
            cwd_option,
            settings_file_base,
            mcp_config_path,
            drop_kills_process_group,
            exit_with_grandchild_holding_stdout,
            drop_before_reading,
            no_leftovers_on_early_errors,
            slow_consumer_no_idle_timeout,
            slow_consumer_no_overall_timeout,
            slow_consumer_backpressure,
            // lifecycle (issue 9): thread-command timeout, exit drain, exit after drop, memory
            thread_command_timeout_sigterm_first,
            thread_command_timeout_sigkill_after_grace,
            exit_drain_grace_kills_grandchild,
            exit_right_after_drop,
            backpressure_bounded,
            session_backpressure_bounded,
            // issue 12: run guards, live stderr, bad input
            guard_max_turns,
            guard_max_tokens,
            live_stderr_lines,
            runs_before_the_first_poll,
            bad_input_named_before_spawn,
            thread_queries_typed,
            // edges (moved in from the per-runtime test files)
            cli_never_reads_big_prompt,
            thread_new_reads_thread_url,
            drop_returns_before_the_grace,
            private_dir_gone_at_stream_end,
            // issue 11: permission handler and in-process tools
            callbacks_handler_and_user_rules,
            callbacks_handler_failures,
            callbacks_1000_concurrent_calls,
            callbacks_drop_with_calls_pending,
            callbacks_tools_and_tool_errors,
            callbacks_malformed_mcp_message,
            // actions
            action_happy_path,
            action_by_name,
            action_create_5xx_then_success,
            action_poll_5xx_then_success,
            action_429_no_retry,
            action_401,
            action_poll_404_surfaces,
            action_failure_statuses,
            action_unexpected_status,
            action_non_json_create,
            action_non_json_poll,
            action_error_envelope,
            action_inline,
            action_inline_not_opted_in,
            action_inline_running,
            action_typed_result,
            action_validation_before_send,
            action_env_config,
            action_env_missing,
            action_concurrent_20,
            action_data_envelope,
            action_base_url_prefix,
            action_network_error,
            action_token_not_in_debug,
            action_create_body_options,
            action_redirect_not_followed,
            action_oversized_body,
            action_invalid_base_url,
            action_bad_name,
            action_user_agent,
            action_refused_same_text,
            action_shared_executor_reuses_connections,
        ]);
    };
    ($rt:ty, only: [$($name:ident),* $(,)?]) => {
        mod suite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $name() {
                    $crate::suite::run_scenario::<$rt>(
                        stringify!($name),
                        env!("CARGO_BIN_EXE_amp-stub"),
                        $crate::suite::scenarios::$name::<$rt>,
                    );
                }
            )*
        }
    };
}

/// Defines `fn amp(&AmpCfg) -> $amp` and `fn executor(&ActionCfg) -> $executor` in a
/// runtime's suite file: the same mapping of the suite's knobs onto each runtime's builders
/// (the three runtimes have the same builder methods, but distinct types).
#[macro_export]
macro_rules! suite_builders {
    ($amp:ident, $executor:ident) => {
        $crate::suite_builders!(@with $amp, $executor, sync);
    };
    ($amp:ident, $executor:ident, async $sleep:path) => {
        $crate::suite_builders!(@with $amp, $executor, async $sleep);
    };
    (@handler sync; $b:ident $h:ident) => {
        $b.permission_handler(move |req: &$crate::suite::PermissionRequest| {
            $h.answer_blocking(req)
        })
    };
    (@handler async $sleep:path; $b:ident $h:ident) => {
        $b.permission_handler(move |req: $crate::suite::PermissionRequest| {
            let h = $h.clone();
            async move {
                let (reply, delay) = h.ask(&req);
                if !delay.is_zero() {
                    $sleep(delay).await;
                }
                reply.finish()
            }
        })
    };
    (@with $amp:ident, $executor:ident, $($mode:tt)+) => {
        fn amp(cfg: &$crate::suite::AmpCfg) -> $amp {
            let mut b = $amp::builder();
            if let Some(p) = &cfg.cli_path {
                b = b.cli_path(p.clone());
            }
            if let Some(d) = cfg.overall_timeout {
                b = b.overall_timeout(d);
            }
            if let Some(d) = cfg.idle_timeout {
                b = b.idle_timeout(d);
            }
            if let Some(d) = cfg.kill_grace {
                b = b.kill_grace(d);
            }
            if let Some(n) = cfg.max_line_len {
                b = b.max_line_len(n);
            }
            if let Some(n) = cfg.stderr_tail_bytes {
                b = b.stderr_tail_bytes(n);
            }
            if let Some(d) = &cfg.temp_dir {
                b = b.temp_dir(d.clone());
            }
            if let Some(d) = cfg.exit_drain_grace {
                b = b.exit_drain_grace(d);
            }
            if let Some(n) = cfg.max_buffered_bytes {
                b = b.max_buffered_bytes(n);
            }
            if let Some(n) = cfg.max_turns {
                b = b.max_turns(n);
            }
            if let Some(n) = cfg.max_tokens {
                b = b.max_tokens(n);
            }
            if let Some(lines) = &cfg.on_stderr {
                let lines = lines.clone();
                b = b.on_stderr(move |line| lines.push(line));
            }
            if let Some(handler) = &cfg.permission_handler {
                let handler = handler.clone();
                b = $crate::suite_builders!(@handler $($mode)+; b handler);
            }
            if let Some(d) = cfg.permission_deadline {
                b = b.permission_deadline(d);
            }
            for tool in &cfg.tools.0 {
                b = b.tool(tool.clone());
            }
            b.build()
        }

        fn executor(cfg: &$crate::suite::ActionCfg) -> $executor {
            let mut b = $executor::builder();
            if let Some(u) = &cfg.base_url {
                b = b.base_url(u.clone());
            }
            if let Some(t) = &cfg.auth_token {
                b = b.auth_token(t.clone());
            }
            b.build()
        }
    };
}

/// Calls `$m!` with the scenarios that depend on how the CLI's exit is noticed (timeouts,
/// kills, drops, grandchildren, backpressure, stdin, thread commands): the list the
/// no-pidfd suites (`suite_blocking_no_pidfd`, `suite_async_no_pidfd`) run on the waiter
/// thread's fallback path.
#[macro_export]
macro_rules! with_exit_scenarios {
    ($m:ident) => {
        $m!(
            echo_text,
            stream_input_turns,
            session_finish,
            run_process_error,
            crash_mid_stream,
            killed_by_signal,
            stderr_complete_at_exit,
            idle_timeout_hang,
            overall_timeout,
            ignore_sigterm_kill_after_grace,
            drop_ignoring_sigterm,
            cancel_reaps_and_cleans,
            session_send_after_exit,
            drop_kills_process_group,
            exit_with_grandchild_holding_stdout,
            exit_drain_grace_kills_grandchild,
            slow_consumer_backpressure,
            cli_never_reads_big_prompt,
            thread_new,
            thread_command_timeout_sigkill_after_grace,
            concurrent_executions,
        )
    };
}
