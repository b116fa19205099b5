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
