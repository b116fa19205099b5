import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How the CLI leaves once a command is done: standard output and error flushed, then `_exit`.
///
/// `exit` would also run the C library's exit handlers and the C++ static destructors of the
/// libraries Haven loads (ICU through Foundation, OpenSSL, libpq), on the thread that ran the
/// command, while other threads of the process (a stopping connection thread, Dispatch's and
/// Swift's worker threads) may still be using them. That race is what one `haven db status --json`
/// of a test run met on 2026-12-07 ("double free or corruption" inside exit processing, after the
/// command's output, before stdio's last flush; not reproduced in some 1,950 runs since). Nothing Haven
/// writes waits for an exit handler: files are written and closed by the commands themselves, and
/// stdio's buffers are flushed here.
enum ProcessEnd {
    /// Flushes every stdio stream and ends the process with `status`.
    static func exit(_ status: Int32) -> Never {
        fflush(nil)
        _exit(status)
    }
}
