import Foundation

/// A serial executor backed by one dedicated OS thread, which is also a task executor.
///
/// libpq's calls block. Each `PostgresConnection` actor runs on its own `ConnectionThread`, so a
/// blocking call occupies that thread and never one of Swift's cooperative pool.
///
/// As a `TaskExecutor` it lets the pool run a checkout's whole body here
/// (`withTaskExecutorPreference`): every job runs isolated to this thread's serial executor, so the
/// body's nonisolated code and its calls into the connection actor run on this thread one after the
/// other with no hand-off to another thread; only entering and leaving the body cross threads.
final class ConnectionThread: SerialExecutor, TaskExecutor, @unchecked Sendable {
    // Safety: `jobs` and `stopping` are only read or written while `condition` is locked.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopping = false

    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Lets the thread finish the jobs already queued and exit.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        var batch: [UnownedJob] = []
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            swap(&batch, &jobs)
            condition.unlock()
            for job in batch {
                job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
            }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
