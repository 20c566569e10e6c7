/// What an agent may do to the repository's references, and what to say when it did more (DESIGN §5).
///
/// An agent works on its phase branch. Every other reference (`main`, `tollgate/state`, other branches, tags)
/// must be as it was before the run, and HEAD must be on the phase branch after it: a commit on `main` would
/// land unreviewed with the next squash, a rewritten state would strand the job. The engine compares the
/// references before and after each run; each change found is undone, its commits kept under
/// `refs/tollgate/quarantine/run-N/`, and the run fails naming what the agent did.
public enum RefGuard {
    /// Where quarantined references live.
    public static let quarantinePrefix = "refs/tollgate/quarantine/"

    /// One reference the agent changed.
    public struct Change: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// It pointed at `from`, now at `to`.
            case moved(from: String, to: String)
            /// It did not exist; now it points at `to`.
            case created(to: String)
            /// It pointed at `from`; now it is gone.
            case deleted(from: String)
        }

        /// The full reference name, such as `refs/heads/main`.
        public var name: String
        public var kind: Kind

        public init(name: String, kind: Kind) {
            self.name = name
            self.kind = kind
        }

        /// Where its new commit is kept, for a moved or created reference: `refs/tollgate/quarantine/run-N/…`
        /// followed by the name without `refs/`.
        public func quarantineName(run: Int) -> String? {
            if case .deleted = kind { return nil }
            let tail = name.hasPrefix("refs/") ? String(name.dropFirst(5)) : name
            return "\(RefGuard.quarantinePrefix)run-\(run)/\(tail)"
        }
    }

    /// The changes between `before` and `after` (full name → object id) to every reference but the quarantine's,
    /// sorted by name.
    ///
    /// The phase branch may move, but not go away.
    public static func changes(before: [String: String], after: [String: String], phaseBranch: String) -> [Change] {
        let allowed = "refs/heads/" + phaseBranch
        let names = Set(before.keys).union(after.keys).filter { !$0.hasPrefix(quarantinePrefix) }
        return names.sorted().compactMap { name in
            switch (before[name], after[name]) {
            case (let old?, let new?) where old != new && name != allowed:
                Change(name: name, kind: .moved(from: old, to: new))
            case (nil, let new?) where name != allowed: Change(name: name, kind: .created(to: new))
            case (let old?, nil): Change(name: name, kind: .deleted(from: old))
            default: nil
            }
        }
    }

    /// The run's failure: what the agent did, what was undone, and where its commits are.
    ///
    /// `head` is where HEAD pointed after the run when that was not the phase branch (a branch name, or a commit id
    /// when detached); `keptHead` says the detached commit was quarantined.
    public static func failure(
        changes: [Change],
        headElsewhere head: String?,
        keptHead: Bool = false,
        phaseBranch: String,
        run: Int
    ) -> String? {
        guard !changes.isEmpty || head != nil else { return nil }
        var did: [String] = []
        if let head { did.append("left HEAD on \(head) instead of \(phaseBranch)") }
        for change in changes {
            let short = displayName(change.name)
            switch change.kind {
            case .moved(let from, let to): did.append("moved \(short) from \(from.prefix(10)) to \(to.prefix(10))")
            case .created(let to): did.append("created \(short) at \(to.prefix(10))")
            case .deleted(let from): did.append("deleted \(short) (was \(from.prefix(10)))")
            }
        }
        var sentences = [
            "the agent changed git state it must leave alone: \(did.joined(separator: "; ")).",
            "An agent commits on \(phaseBranch) only.",
        ]
        if head != nil {
            sentences.append("HEAD is back on \(phaseBranch), with the working tree as the agent left it.")
        }
        if !changes.isEmpty { sentences.append("Each reference is as it was before the run.") }
        if keptHead || changes.contains(where: { $0.quarantineName(run: run) != nil }) {
            sentences.append(
                "The agent's commits are kept under \(quarantinePrefix)run-\(run)/ "
                    + "(`git log --source --glob='\(quarantinePrefix)run-\(run)/*'`)."
            )
        }
        return sentences.joined(separator: " ")
    }

    /// `refs/heads/main` as `main`, `refs/tags/v1` as `tag v1`, others in full.
    public static func displayName(_ name: String) -> String {
        if name.hasPrefix("refs/heads/") { return String(name.dropFirst("refs/heads/".count)) }
        if name.hasPrefix("refs/tags/") { return "tag " + name.dropFirst("refs/tags/".count) }
        return name
    }
}
