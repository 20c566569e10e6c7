import Foundation
import TollgateCore
import TollgateEngine

/// `tollgate watch ROOT [--interval SECONDS] [--once]`: resumes every job under ROOT that awaits a review.
///
/// Each directory directly under ROOT holding a job whose status is `pending_review` is resumed (its verdict read
/// and acted on); one job's failure does not stop the others. One line per job and round.
///
/// Rounds are `--interval` seconds apart; without it, the smallest `gitea.pollIntervalSeconds` of the jobs under
/// ROOT (each job's resolved configuration), or 60 seconds when ROOT holds no job.
public struct WatchCommand: Sendable, Equatable {
    /// The folder whose subdirectories are jobs.
    public var root: String
    /// Seconds between rounds; when nil, the jobs' `gitea.pollIntervalSeconds` decides.
    public var interval: Int?
    /// One round only.
    public var once: Bool

    public init(root: String, interval: Int?, once: Bool) {
        self.root = root
        self.interval = interval
        self.once = once
    }

    static let help = """
        USAGE: tollgate watch ROOT [--interval SECONDS] [--once]

        Every directory directly under ROOT that holds a job awaiting review is resumed: its verdict is read
        and acted on, as `tollgate resume` does. One line per job; one job's failure does not stop the others.
        Repeats every SECONDS until stopped; without --interval, every gitea.pollIntervalSeconds (the
        smallest among the jobs under ROOT; 60 when there is none). With --once, one pass (for cron and
        scripts). Exit status 0, or 1 when every job it resumed failed.
        """

    /// The seconds between rounds when neither `--interval` nor any job says.
    static let defaultInterval = 60

    static func parse(_ scanner: inout OptionScanner) throws(UsageError) -> WatchCommand {
        let intervalText = try scanner.value("--interval")
        let once = scanner.flag("--once")
        var interval: Int?
        if let intervalText {
            guard let seconds = Int(intervalText), seconds >= 1 else {
                throw UsageError(
                    "--interval takes a whole number of seconds from 1, got '\(intervalText)'",
                    command: "watch"
                )
            }
            interval = seconds
        }
        let positionals = scanner.positionals
        guard positionals.count == 1 else {
            throw UsageError("watch takes one directory: the folder whose subdirectories are jobs", command: "watch")
        }
        scanner.positionals = []
        return WatchCommand(root: positionals[0], interval: interval, once: once)
    }

    func run(resources: ResourceBundle, output: Output) async throws -> ExitCode {
        let rootURL = CLI.url(root)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: rootURL.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw EngineError.usage(
                "\(rootURL.path) is not a directory: give the folder that holds the job directories"
            )
        }
        while true {
            let (outcome, polls) = await round(in: rootURL, resources: resources, output: output)
            if once { return outcome }
            try await Task.sleep(for: .seconds(Self.pause(interval: interval, jobPolls: polls)))
        }
    }

    /// Seconds to wait before the next round: `--interval` when given, else the smallest of the jobs' poll intervals
    /// (values below 1 are ignored), else ``defaultInterval``.
    static func pause(interval: Int?, jobPolls: [Int]) -> Int {
        if let interval { return interval }
        return jobPolls.filter { $0 >= 1 }.min() ?? defaultInterval
    }

    /// One pass over the jobs; failure only when every job it resumed failed.
    ///
    /// Also returns the poll interval of every job it found, waiting or not.
    private func round(in rootURL: URL, resources: ResourceBundle, output: Output) async -> (ExitCode, [Int]) {
        let entries =
            (try? FileManager.default.contentsOfDirectory(
                at: rootURL,
                includingPropertiesForKeys: [.isDirectoryKey],
                options: [.skipsHiddenFiles]
            )) ?? []
        var resumed = 0
        var failed = 0
        var polls: [Int] = []
        // Who a token belongs to does not depend on the job: asked once a round (a new round asks again, so a token
        // changed between rounds is seen).
        let accounts = GiteaAccounts()
        for directory in entries.sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) {
            guard (try? directory.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true else { continue }
            let waiting: JobSession
            do {
                waiting = try JobSession.open(at: directory, resources: resources, exclusive: false)
            } catch EngineError.notAJob {
                continue  // any other folder under ROOT
            } catch {
                // A job that cannot be read is named, not skipped in silence; the others go on.
                resumed += 1
                failed += 1
                output.out("\(directory.lastPathComponent): cannot be read: \(error)")
                continue
            }
            if let config = try? waiting.config { polls.append(config[ConfigKeys.giteaPollIntervalSeconds]) }
            guard let state = try? waiting.state, state.status == .pendingReview else { continue }
            resumed += 1
            let name = directory.lastPathComponent
            do {
                let session = try JobSession.open(
                    at: directory,
                    resources: resources,
                    exclusive: true,
                    output: output,
                    accounts: accounts
                )
                var note = ""
                let result = try await session.run(readVerdict: true) { line in
                    note = line.trimmingCharacters(in: .whitespaces)
                }
                switch result {
                case .completed:
                    output.out("\(name): completed")
                case .frozen(let review, let waitingNote):
                    let phase = (try? session.state.phase.label) ?? ""
                    output.out("\(name): awaiting review of \(phase) (\(review.location)): \(waitingNote ?? note)")
                case .failed(let cause):
                    failed += 1
                    output.out("\(name): failed: \(cause)")
                case .blocked(let cause):
                    failed += 1
                    output.out("\(name): blocked by a budget: \(cause)")
                }
            } catch {
                failed += 1
                output.out("\(name): failed: \(error)")
            }
        }
        if resumed == 0 { output.out("no job under \(rootURL.path) awaits a review") }
        return (resumed > 0 && failed == resumed ? .failure : .success, polls)
    }
}
