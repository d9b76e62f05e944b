//! Tool permissions: allow some commands, ask before reading sensitive files, delegate a
//! decision to a program, and continue the conversation after a rejection.

use ampere_blocking::core::permission::PermissionOptions;
use ampere_blocking::{
    create_permission, execute, AmpOptions, Message, Permission, PermissionAction,
    PermissionContext,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let permissions = vec![
        // Allow listing files and running tests.
        Permission::allow("Bash").matching("cmd", "ls *").build()?,
        Permission::allow("Bash")
            .matching("cmd", "npm test")
            .build()?,
        // Ask before reading sensitive files.
        Permission::ask("Read").matching("path", "/etc/*").build()?,
        // Reject git pushes but let the agent go on.
        Permission::reject("Bash")
            .matching("cmd", vec!["git push*", "git push --force*"])
            .with_message("Pushing is not allowed from automation")
            .build()?,
        // Let a program decide about browser tools.
        Permission::delegate("mcp__playwright__*", "/usr/local/bin/browse-policy").build()?,
        // The seed's form works too.
        create_permission(
            "Bash",
            PermissionAction::Reject,
            PermissionOptions {
                context: Some(PermissionContext::Subagent),
                ..PermissionOptions::default()
            },
        )?,
    ];

    let options = AmpOptions::new().permissions(permissions);
    for message in execute("List files and run tests", options) {
        if let Message::Result(result) = message? {
            println!("{}", result.result);
            if let Some(denials) = result.permission_denials.as_ref().filter(|d| !d.is_empty()) {
                println!("denied: {denials:?}");
            }
        }
    }
    Ok(())
}
