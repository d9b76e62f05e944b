//! Tool permissions: allow listing files and running tests, ask before reading sensitive
//! files, reject everything else in subagents. The rules go into a private settings file
//! (0600 in a 0700 folder) that is removed when the execution ends.
//!
//! ```sh
//! cargo run -p ampere-async-std --example async_std_permissions
//! ```

use ampere_async_std::{
    AgentError, AmpOptions, Message, Permission, PermissionAction, PermissionContext,
    PermissionOptions,
};

fn main() -> Result<(), AgentError> {
    let rules = vec![
        // The builder form.
        Permission::allow("Bash").matching("cmd", "ls *").build()?,
        Permission::allow("Bash")
            .matching("cmd", "npm test")
            .build()?,
        Permission::ask("Read").matching("path", "/etc/*").build()?,
        // The seed's `create_permission(tool, action, options)` form.
        ampere_async_std::create_permission(
            "Bash",
            PermissionAction::Reject,
            PermissionOptions {
                context: Some(PermissionContext::Subagent),
                ..PermissionOptions::default()
            },
        )?,
    ];
    let options = AmpOptions::new().permissions(rules);
    async_std::task::block_on(async {
        let mut messages = ampere_async_std::execute("List files and run tests", options);
        while let Some(message) = messages.next().await {
            if let Message::Result(result) = message? {
                println!("{}", result.result);
                if let Some(denied) = &result.permission_denials {
                    println!("denied: {denied:?}");
                }
            }
        }
        Ok(())
    })
}
