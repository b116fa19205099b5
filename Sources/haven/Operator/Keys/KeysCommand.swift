import ArgumentParser

/// `haven keys`: master keys and data keys (operators).
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create and rotate encryption keys; verify and shred sealed data (operators).",
        discussion: """
            The master key lives outside the database, in HAVEN_MASTER_KEY_FILE (mode 0600) or \
            HAVEN_MASTER_KEY. Data keys live in the database, wrapped by the master key. See
            docs/encryption.md and docs/operations.md.
            """,
        subcommands: [Init.self, Status.self, RotateMaster.self, RotateData.self, Verify.self, Shred.self]
    )
}
