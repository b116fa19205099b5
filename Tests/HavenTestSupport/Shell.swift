import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs an executable and waits for it, without Foundation's `Process` (whose `waitUntilExit` has
/// been seen to hang on Linux when the child leaves a daemon behind, as `pg_ctl restart` does).
///
/// - Returns: the exit status, or -1 if it could not be started.
public func runProgram(_ path: String, arguments: [String] = []) -> Int32 {
    var pid: pid_t = 0
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    guard posix_spawn(&pid, path, nil, nil, argv, environ) == 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        if errno != EINTR { return -1 }
    }
    return (status >> 8) & 0xff
}

/// Starts an executable without waiting; its output goes to `outputPath` (or is discarded).
///
/// - Returns: the child's pid, or -1 if it could not be started.
public func spawnProgram(_ path: String, arguments: [String] = [], outputPath: String = "/dev/null") -> pid_t {
    var pid: pid_t = 0
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, outputPath + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { return -1 }
    return pid
}

/// Waits for a child; returns its exit status, or 128 + signal if a signal ended it.
public func waitForProgram(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        if errno != EINTR { return -1 }
    }
    let signal = status & 0x7f
    return signal == 0 ? (status >> 8) & 0xff : 128 + signal
}
